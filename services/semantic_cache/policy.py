"""Which answers may be cached: the one rule, in one place.

A cached answer is served to anyone in the tenant who asks something similar, so it must
not depend on who asked or on what was said before. Refused, with the reason:
- anything not answered by the knowledge route (handoff, small talk, out of scope);
- an answer that was not grounded in the help centre or said the topic is not covered;
- a question in the first person about the customer's own situation: "my card",
  "I was charged", "we moved". Generic how-to phrasing ("How do I ...", "Can I ...") is
  not personal and stays cacheable;
- anything that looks like an identifier (long digit runs, e-mail addresses);
- a turn whose retrieval used the conversation, and, when there is a conversation, a
  follow-up that leans on it (pronouns, "what about ...", a fragment of a few words).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from semantic_cache.keys import INTENT

KNOWLEDGE_ROUTE = "knowledge"

_POSSESSIVE = re.compile(r"\b(my|mine|myself|our|ours|ourselves)\b")
# "How do I", "can we", "should I": asking how things work, not telling what happened.
_GENERIC_FIRST_PERSON = re.compile(
    r"\b(can|could|do|does|should|shall|may|might|must|would|will|where|how|when|what|why)"
    r"\s+(i|we)\b"
)
_FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|i'd|i'll|me|we|we're|we've|us)\b")
_IDENTIFIER = re.compile(r"\d{6,}|\b\d(?:[ -]?\d){7,}\b|[\w.+-]+@[\w-]+\.[\w.]+")
# Words that point back at something said earlier.
_ANAPHORA = re.compile(
    r"\b(it|its|it's|that|this|those|these|they|them|their|there|one|ones|same|else|"
    r"former|latter|above)\b"
)
_CONTINUATION = re.compile(r"^(and|but|also|so|then|what about|how about|what if|and if)\b")
_WORD = re.compile(r"[a-z0-9']+")
FRAGMENT_WORDS = 4


@dataclass(frozen=True)
class CacheDecision:
    cacheable: bool
    reason: str


def is_cacheable(
    question: str,
    *,
    route: str,
    intent: str | None,
    had_history: bool,
    grounded: bool,
    covered: bool,
    retrieval_used_history: bool = False,
) -> CacheDecision:
    if route != KNOWLEDGE_ROUTE:
        return CacheDecision(False, f"route is {route}, not {KNOWLEDGE_ROUTE}")
    if intent is None or not INTENT.match(intent):
        return CacheDecision(False, "no usable intent to scope the entry")
    if not grounded:
        return CacheDecision(False, "answer was not grounded in the knowledge base")
    if not covered:
        return CacheDecision(False, "knowledge base does not cover the question")
    if retrieval_used_history:
        return CacheDecision(False, "retrieval used earlier turns")
    text = question.casefold().replace("’", "'")
    if _IDENTIFIER.search(text):
        return CacheDecision(False, "question contains an identifier")
    if _POSSESSIVE.search(text):
        return CacheDecision(False, "question is about the customer's own things")
    if _FIRST_PERSON.search(_GENERIC_FIRST_PERSON.sub(" ", text)):
        return CacheDecision(False, "question describes the customer's own situation")
    if had_history and _leans_on_history(text):
        return CacheDecision(False, "follow-up that depends on earlier turns")
    return CacheDecision(True, "self-contained general question")


def _leans_on_history(text: str) -> bool:
    stripped = text.strip()
    return (
        bool(_ANAPHORA.search(stripped))
        or bool(_CONTINUATION.match(stripped))
        or len(_WORD.findall(stripped)) < FRAGMENT_WORDS
    )
