"""When triage hands a conversation to a person without being asked: the escalation rules.

Pure functions of the graph state and this turn's triage result; triage applies them.

- **Strongly negative sentiment**: VADER's compound score at or below -0.74. Measured on
  the 10,003 BANKING77 training queries (ordinary banking questions, many of them mildly
  negative: "my card was declined", "my transfer keeps failing"), 24 score that low: a
  false-handoff rate of 0.24% (0.34%, 7 of 2,062, on the router's shipped examples).
  -0.70 would hand off 0.43% and 0.63%; -0.74 still catches "I am so angry. Your stupid
  app is garbage and nobody helps me" (-0.743).
- **Triage unsure twice in a row**: a model chose the route (or was asked and failed), or
  the examples' confidence is below `router_threshold`. A sure turn resets the streak; a
  degraded turn (no embeddings: the router did not run) leaves it as it was.
- **The same need unresolved twice**: turns that end with "I can't help with that"
  (`not_covered`, `cannot_understand`) count a failure against their intent
  (`note_unresolved`). A message whose intent has already failed once is handed off
  rather than failing a second time: the customer coming back to it *is* the second
  attempt. A resolved turn clears its own intent's count, never another's; a handoff
  clears them all, the person taking over every open need.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from desk.agents.state import DeskState

SENTIMENT_THRESHOLD: Final = -0.74
UNSURE_METHODS: Final = frozenset({"model", "fallback"})
UNSURE_TURNS: Final = 2
# The count's key when triage could not classify the message (embeddings down).
UNCLASSIFIED: Final = "unclassified"


# Built on import (start-up), not on the first message: it reads its lexicon from disk.
_ANALYZER: Final = SentimentIntensityAnalyzer()


def sentiment(text: str) -> float:
    """VADER's compound score, -1 (most negative) to 1."""
    return float(_ANALYZER.polarity_scores(text)["compound"])


def is_unsure(method: str, confidence: float, router_threshold: float) -> bool:
    return method in UNSURE_METHODS or (method == "semantic" and confidence < router_threshold)


def unsure_streak(state: DeskState, method: str, confidence: float, threshold: float) -> int:
    if method == "degraded":
        return state.get("unsure_streak", 0)
    return state.get("unsure_streak", 0) + 1 if is_unsure(method, confidence, threshold) else 0


def need(intent: str | None) -> str:
    return intent or UNCLASSIFIED


def note_unresolved(state: DeskState) -> dict[str, Any]:
    """The update for a turn that ends without resolving the customer's need."""
    counts = dict(state.get("unresolved") or {})
    key = need(state.get("intent"))
    counts[key] = counts.get(key, 0) + 1
    return {"unresolved": counts}


def settled(state: DeskState) -> dict[str, int]:
    """The counts once the previous turn is settled: resolved, it clears its own intent.

    A turn that ended unresolved offered a person (`offered_handoff`); any other ended
    resolved. Read at the start of the next turn, before triage clears the flag.
    """
    counts = dict(state.get("unresolved") or {})
    if not state.get("offered_handoff"):
        counts.pop(need(state.get("intent")), None)
    return counts


def handoff_reason(
    text: str, update: Mapping[str, Any], streak: int, unresolved: Mapping[str, int]
) -> str | None:
    """Why this turn goes to a person, or None; `update` is triage's routing for the turn."""
    if update.get("route") == "handoff":
        if update.get("triage_method") == "rule":
            return "customer accepted the offer of a person"
        return "customer asked for a person"
    score = sentiment(text)
    if score <= SENTIMENT_THRESHOLD:
        return f"strongly negative sentiment (compound {score:.2f})"
    intent = need(update.get("intent"))
    if unresolved.get(intent, 0) >= 1:
        return f"desk could not resolve {intent} twice"
    if streak >= UNSURE_TURNS:
        return f"triage unsure {streak} turns in a row"
    return None


def escalate(
    state: DeskState, text: str, update: Mapping[str, Any], threshold: float
) -> dict[str, Any]:
    """Triage's update with the escalation fields, routed to "handoff" when a rule fires."""
    streak = unsure_streak(
        state, str(update.get("triage_method", "")), float(update.get("confidence", 0.0)), threshold
    )
    unresolved = settled(state)
    reason = handoff_reason(text, update, streak, unresolved)
    if reason is None:
        return {**update, "unsure_streak": streak, "unresolved": unresolved}
    return {
        **update,
        "route": "handoff",
        # The route the desk was taking, for the ticket: the person sees where it went.
        "handoff_from": update.get("route"),
        "handoff_reason": reason,
        "unsure_streak": 0,
        "unresolved": {},
    }
