"""Sparse lexical vectors for hybrid search: BM25's term-frequency part, computed here; its
inverse document frequency, computed by Qdrant (the collection's `Modifier.IDF`).

No model and no vocabulary file: a term's index is a stable hash of the term, so the same
word gets the same dimension in every process, on every machine, in every release. The
document side saturates term frequency and normalises length as BM25 does; the query side
is one per distinct term, so Qdrant's score is the BM25 sum over the query's terms.

Dense embeddings find paraphrases; these find the rare words they blur: a hotel's name, a
fee's name, "wifi", "contactless". ADR 0017 has the measured gain.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Final

K1: Final = 1.2
B: Final = 0.75
# The length BM25 normalises to. Chunks are cut to a few hundred tokens (ingest.chunking), and
# an FAQ answer is a sentence or two; a fixed value keeps a document's vector independent of
# the rest of the corpus, so writing one document never re-weights the others.
AVERAGE_LENGTH: Final = 60.0

_WORD = re.compile(r"[a-z0-9]+")
# Words that carry no topic. Short on purpose: "not", "no" and question words stay, because
# "not working" and "why declined" are what a support question is about.
STOPWORDS: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "do",
        "does",
        "did",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "and",
        "or",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "their",
        "they",
        "them",
        "i",
        "you",
        "me",
        "my",
        "we",
        "our",
        "your",
        "us",
        "he",
        "she",
        "his",
        "her",
        "have",
        "has",
        "had",
        "can",
        "could",
        "would",
        "will",
        "shall",
        "should",
        "may",
        "might",
        "am",
        "as",
        "by",
        "so",
        "if",
        "from",
        "into",
        "about",
        "than",
        "then",
        "too",
        "very",
        "just",
        "also",
        "any",
        "some",
    ]
)


@dataclass(frozen=True)
class SparseVector:
    indices: list[int]
    values: list[float]


def terms(text: str) -> list[str]:
    """Lower-cased words without stopwords, plural "s" dropped: "Cards" and "card" agree."""
    words = _WORD.findall(text.lower().replace("'", ""))
    return [_stem(word) for word in words if word not in STOPWORDS]


def _stem(word: str) -> str:
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def term_index(term: str) -> int:
    """A stable non-negative 31-bit index (CRC-32 is the same everywhere, unlike `hash`)."""
    return zlib.crc32(term.encode("utf-8")) & 0x7FFFFFFF


def document_vector(text: str) -> SparseVector:
    counts = Counter(terms(text))
    length = sum(counts.values())
    norm = K1 * (1.0 - B + B * length / AVERAGE_LENGTH)
    weights: dict[int, float] = {}
    for term, count in counts.items():
        index = term_index(term)
        # Two terms sharing a hash (rare in 2^31) add up rather than overwrite each other.
        weights[index] = weights.get(index, 0.0) + count * (K1 + 1.0) / (count + norm)
    return _vector(weights)


def query_vector(text: str) -> SparseVector:
    """One per distinct term: a word repeated in the question counts once, as in BM25."""
    return _vector({term_index(term): 1.0 for term in set(terms(text))})


def _vector(weights: dict[int, float]) -> SparseVector:
    indices = sorted(weights)
    return SparseVector(indices=indices, values=[round(weights[i], 6) for i in indices])
