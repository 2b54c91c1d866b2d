"""k-nearest-neighbour votes over the example index: pure arithmetic, no I/O.

Each of the k most similar examples votes for its intent with weight
exp((similarity - best similarity) / temperature): an example 0.05 less similar than the
nearest counts e^-1 as much. With plain similarity weights, intent accuracy on held-out
BANKING77 was 0.88 against 0.93: with 27 examples an intent, the distant neighbours of other
intents outvote a close match. The exponential keeps the nearest examples decisive while k
still smooths over one odd example.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

import numpy as np

from desk.triage.index import ExampleIndex
from desk.triage.routes import Route, route_for
from knowledge.embedder import Vectors

DEFAULT_K: Final = 10
DEFAULT_TEMPERATURE: Final = 0.05

Label = TypeVar("Label")


@dataclass(frozen=True)
class Scores:
    """What the examples say about one message."""

    intents: tuple[tuple[str, float], ...]
    """Every intent among the k neighbours with its share of the vote (shares sum to 1)."""
    routes: tuple[tuple[Route, float], ...]
    """The same votes summed per route, best first."""
    nearest: Mapping[Route, float]
    """Each route's highest similarity to any of its examples, neighbour or not."""
    nearest_intent: Mapping[Route, str]
    """The intent of that most similar example."""
    best_in_scope: float
    """The highest similarity to an example of any route but out_of_scope."""


def score(
    index: ExampleIndex,
    query: Vectors,
    k: int = DEFAULT_K,
    temperature: float = DEFAULT_TEMPERATURE,
) -> Scores:
    """`query` is one L2-normalised vector, so the dot products are cosine similarities."""
    similarities = index.vectors @ query
    k = min(k, len(index))
    neighbours = np.argpartition(-similarities, k - 1)[:k]
    close = similarities[neighbours]
    weights = np.exp((close - close.max()) / temperature)
    shares = weights / weights.sum()

    intent_votes: defaultdict[str, float] = defaultdict(float)
    route_votes: defaultdict[Route, float] = defaultdict(float)
    for row, share in zip(neighbours.tolist(), shares.tolist(), strict=True):
        intent = index.intents[row]
        intent_votes[intent] += share
        route_votes[route_for(intent)] += share

    nearest: dict[Route, float] = {}
    nearest_intent: dict[Route, str] = {}
    for route, rows in index.rows_by_route.items():
        best = int(rows[np.argmax(similarities[rows])])
        nearest[route] = float(similarities[best])
        nearest_intent[route] = index.intents[best]
    in_scope = [value for route, value in nearest.items() if route is not Route.OUT_OF_SCOPE]

    return Scores(
        intents=_ranked(intent_votes),
        routes=_ranked(route_votes),
        nearest=nearest,
        nearest_intent=nearest_intent,
        best_in_scope=max(in_scope, default=-1.0),
    )


def _ranked(votes: Mapping[Label, float]) -> tuple[tuple[Label, float], ...]:
    return tuple(sorted(votes.items(), key=lambda item: item[1], reverse=True))
