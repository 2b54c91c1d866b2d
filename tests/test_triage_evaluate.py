"""The held-out measurement: what it drops, and the figures it computes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desk.triage import Route, RouteDecision, load_examples
from desk.triage.evaluate import Labelled, held_out, measure


def test_queries_that_are_examples_or_unknown_are_not_scored(tmp_path: Path) -> None:
    examples = load_examples()
    example = examples.examples[0]
    rows = [
        {"id": example.id, "query": "reworded, same id", "intent": example.intent},
        {"id": "new-1", "query": f"  {example.query.upper()} ", "intent": example.intent},
        {"id": "new-2", "query": "order me a pizza", "intent": "order_pizza"},
        {"id": "new-3", "query": "is my card on its way yet", "intent": "card_arrival"},
    ]
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    queries, seen, unknown = held_out([path], examples)
    assert queries == [Labelled("is my card on its way yet", "card_arrival")]
    assert (seen, unknown) == (2, 1)


def decision(route: Route, intent: str, confidence: float) -> RouteDecision:
    return RouteDecision(
        route=route, intent=intent, confidence=confidence, method="semantic", candidates=()
    )


def test_the_figures() -> None:
    truths = [
        Labelled("a", "card_arrival"),
        Labelled("b", "card_arrival"),
        Labelled("c", "human_agent"),
        Labelled("d", "out_of_scope"),
        Labelled("e", "out_of_scope"),
    ]
    decisions = [
        decision(Route.KNOWLEDGE, "card_arrival", 0.9),
        decision(Route.KNOWLEDGE, "card_delivery_estimate", 0.5),
        decision(Route.OUT_OF_SCOPE, "out_of_scope", 0.6),
        decision(Route.OUT_OF_SCOPE, "out_of_scope", 0.8),
        decision(Route.SMALLTALK, "greeting", 0.7),
    ]
    figures = measure(truths, decisions, router_threshold=0.62)
    assert figures.per_route == {
        Route.KNOWLEDGE: (2, 1.0, 0.5),
        Route.HANDOFF: (1, 0.0, 1.0),
        Route.OUT_OF_SCOPE: (2, 0.5, 0.0),
    }
    assert figures.intent_accuracy == pytest.approx(1 / 3)
    assert (figures.oos_precision, figures.oos_recall) == (0.5, 0.5)
    assert figures.asked == pytest.approx(2 / 5)
