"""The threshold sweep, simulated exactly in memory: for each threshold the replay is
re-run (lookup; store on a miss) with brute-force cosine similarity, so the cache's
contents follow each threshold's own hits. Redis is replayed once, at the chosen threshold;
the two agree up to HNSW and 8-bit quantisation error."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.embedder import Vectors
from semantic_cache.keys import normalise


@dataclass(frozen=True)
class Outcome:
    queries: int
    hits: int
    exact_hits: int
    wrong_hits: int

    @property
    def hit_rate(self) -> float:
        return self.hits / self.queries if self.queries else 0.0

    @property
    def wrong_hit_rate(self) -> float:
        """Wrong hits as a share of hits: how often a served answer was for another intent."""
        return self.wrong_hits / self.hits if self.hits else 0.0


def simulate(
    questions: Sequence[str],
    vectors: Vectors,
    keys: Sequence[str],
    truths: Sequence[str],
    threshold: float,
    *,
    looked_up: Sequence[bool] | None = None,
) -> Outcome:
    """Replays in order; `keys` partition the cache (the router's intent), `truths` judge a
    hit. Rows with `looked_up` False are neither looked up nor stored, but still count as
    queries, so the hit rate is a share of all traffic."""
    groups: dict[str, list[int]] = defaultdict(list)
    for row, key in enumerate(keys):
        if looked_up is None or looked_up[row]:
            groups[key].append(row)
    hits = exact = wrong = 0
    for rows in groups.values():
        similarity = vectors[rows] @ vectors[rows].T
        stored: list[int] = []
        seen: dict[str, int] = {}
        for position, row in enumerate(rows):
            served: int | None = seen.get(normalise(questions[row]))
            if served is not None:
                exact += 1
            elif stored:
                candidates = np.asarray(stored)
                best = int(candidates[np.argmax(similarity[position, candidates])])
                if similarity[position, best] >= threshold:
                    served = rows[best]
            if served is None:
                stored.append(position)
                seen[normalise(questions[row])] = row
                continue
            hits += 1
            wrong += truths[served] != truths[row]
    return Outcome(len(questions), hits, exact, wrong)
