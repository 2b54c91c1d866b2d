"""Triage's answer for one message, and the rule that turns kNN scores into one.

Confidence is on the similarity scale, so `router_threshold` reads as a similarity:
    confidence = nearest similarity of the winning route × (1 + route margin) / 2
where the route margin is the winning route's vote share minus the runner-up route's.
A unanimous neighbourhood keeps the full similarity; an even split between two routes
halves it. The margin is taken between routes, not intents, because the model fallback
can only change the route. Measured on held-out BANKING77, an intent margin would send 17%
of banking questions to the model (two card intents splitting the vote), for no gain in
route accuracy; the route margin sends 0.5%.

A message far from every in-scope example (best similarity below `out_of_scope_threshold`)
is out of scope, with confidence 1 - that similarity, unless the vote gives one in-scope
intent CLEAR_VOTE or more. The floor (0.59) was set where 0.5% of the shipped BANKING77
examples' out-of-fold scores fall below it; the hand-written small-talk and handoff routes
have 40 examples each, so "are you a real person?" (0.587 from its nearest example, 0.80 of
the vote for bot_identity) needs the vote. On the held-out rows: in-scope false rejection
0.45% (9 of 2,001), CLINC150 out-of-scope recall 97% (97 of 100). With the default
thresholds (0.59 and 0.62) the model is asked about a message routed in scope whose nearest
example is below 0.62 or whose neighbours are split between routes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from desk.triage.routes import OUT_OF_SCOPE_INTENT, Route, route_for
from desk.triage.scoring import Scores

Method = Literal["semantic", "model", "fallback"]
CANDIDATES = 3
CLEAR_VOTE = 0.7


class RouteDecision(BaseModel):
    """Where a message goes and how sure triage is.

    `method` is "semantic" when the examples decided (or no model is configured),
    "model" when the model fallback chose the route, and "fallback" when the model was
    asked but failed, timed out or answered outside the labels, so the examples decided.
    `confidence` is always the example router's, even when the model chose: a model
    gives no calibrated score, and a low value here is what made triage ask it.
    """

    model_config = ConfigDict(frozen=True)

    route: Route
    intent: str | None
    confidence: float = Field(ge=0.0, le=1.0)
    method: Method
    candidates: tuple[tuple[str, float], ...]
    """The top intents of the kNN vote with their vote shares, best first."""


def semantic_decision(scores: Scores, out_of_scope_threshold: float) -> RouteDecision:
    candidates = tuple((intent, round(share, 4)) for intent, share in scores.intents[:CANDIDATES])
    clearest = max(
        (share for intent, share in scores.intents if route_for(intent) is not Route.OUT_OF_SCOPE),
        default=0.0,
    )
    if scores.best_in_scope < out_of_scope_threshold and clearest < CLEAR_VOTE:
        return RouteDecision(
            route=Route.OUT_OF_SCOPE,
            intent=OUT_OF_SCOPE_INTENT,
            confidence=_unit(1.0 - scores.best_in_scope),
            method="semantic",
            candidates=candidates,
        )
    route, share = scores.routes[0]
    runner_up = scores.routes[1][1] if len(scores.routes) > 1 else 0.0
    confidence = scores.nearest[route] * (1.0 + share - runner_up) / 2.0
    return RouteDecision(
        route=route,
        intent=intent_for(route, scores),
        confidence=_unit(confidence),
        method="semantic",
        candidates=candidates,
    )


def intent_for(route: Route, scores: Scores) -> str | None:
    """The best-voted intent of `route`, else its most similar example's, else None."""
    if route is Route.OUT_OF_SCOPE:
        return OUT_OF_SCOPE_INTENT
    for intent, _ in scores.intents:
        if route_for(intent) is route:
            return intent
    return scores.nearest_intent.get(route)


def _unit(value: float) -> float:
    return min(1.0, max(0.0, value))
