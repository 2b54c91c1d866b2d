"""Content hashes of documents and the KB version derived from them.

Both depend on content only (never on time or the order files were read), so re-ingesting
unchanged input finds nothing to do, and the KB version changes exactly when content does.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Mapping

from ingest import chunking
from ingest.documents import Document


def content_hash(document: Document) -> str:
    """sha256 of the document's normalised title, text, intents and metadata.

    The chunking scheme is included because the stored chunks depend on it as much as on the
    text: after a change to how documents are cut, every document is re-chunked once.
    """
    canonical = json.dumps(
        {
            "scheme": chunking.SCHEME,
            "title": _normalise(document.title),
            "text": _normalise(document.text),
            "intents": sorted(document.intents),
            "metadata": document.metadata,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _normalise(text: str) -> str:
    # Line endings, trailing spaces and Unicode composition change no meaning.
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    return "\n".join(line.rstrip() for line in text.strip().split("\n"))


def kb_version_of(hashes: Mapping[str, str]) -> str:
    """12 hex characters of sha256 over the sorted (doc_id, content_hash) pairs."""
    pairs = json.dumps(sorted(hashes.items()), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(pairs.encode()).hexdigest()[:12]
