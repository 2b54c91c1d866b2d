"""Redis key names. Every key carries the tenant and the knowledge-base version, so a new
version starts empty and no tenant can ever reach another's entries.

    {prefix}:{t=<tenant>|kb=<version>}:set:<intent>   vector set, one per intent
    {prefix}:{t=<tenant>|kb=<version>}:e:<qhash>      the answer payload (JSON, with EXPIRE)

The braces are a Redis Cluster hash tag: one scope's keys share a slot, so a store's
pipeline never spans nodes. Tenant and version are percent-encoded, so a ":" or "|" in
either cannot make two scopes collide.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import quote

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?!.]+$")
INTENT = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def normalise(question: str) -> str:
    """Case, spacing and trailing punctuation do not change a question's answer."""
    text = unicodedata.normalize("NFKC", question).casefold()
    return _TRAILING.sub("", _SPACE.sub(" ", text).strip())


def question_id(question: str) -> str:
    return hashlib.sha256(normalise(question).encode()).hexdigest()[:32]


def scope(prefix: str, tenant: str, kb_version: str) -> str:
    return f"{prefix}:{{t={quote(tenant, safe='')}|kb={quote(kb_version, safe='')}}}"


def vector_set(prefix: str, tenant: str, kb_version: str, intent: str) -> str:
    return f"{scope(prefix, tenant, kb_version)}:set:{intent}"


def entry(prefix: str, tenant: str, kb_version: str, qid: str) -> str:
    return f"{scope(prefix, tenant, kb_version)}:e:{qid}"
