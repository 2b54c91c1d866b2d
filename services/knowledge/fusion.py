"""Reciprocal rank fusion: how the dense and lexical rankings of a hybrid search become one.

score(item) = sum over rankings of 1 / (RRF_K + rank), rank 1 first. The usual 60 flattens
the top of short lists; within one entity's thirty documents 10 ranked better (ADR 0017).
Both the Qdrant server path and the embedded snapshot fuse here, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Final, TypeVar

RRF_K: Final = 10

Item = TypeVar("Item", bound=Hashable)


def rrf(rank: int) -> float:
    """One ranking's vote for the item at `rank` (0 = first)."""
    return 1.0 / (RRF_K + rank + 1)


def fuse(rankings: Sequence[Sequence[Item]]) -> list[tuple[Item, float]]:
    """(item, fused score), best first; ties keep the order of the first ranking."""
    scores: dict[Item, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking):
            scores[item] = scores.get(item, 0.0) + rrf(rank)
    return sorted(scores.items(), key=lambda entry: entry[1], reverse=True)
