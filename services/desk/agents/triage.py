"""The triage agent: decides which agent takes the turn.

A semantic router over labelled example utterances decides; it asks a model only when
unsure (see desk.triage). One rule comes first: a customer who was just offered a person
and says yes is handed off, whatever the router would make of "yes please". Then the
escalation rules (desk.agents.escalation) may hand the turn to a person instead: strong
negative sentiment, triage unsure twice in a row, or a need the desk already failed once.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from langgraph.runtime import Runtime

from desk.agents.escalation import escalate
from desk.agents.events import emit
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState
from desk.agents.transcript import last_customer_message
from gateway.errors import ModelGroupUnavailable
from telemetry import names, set_attributes

log = logging.getLogger(__name__)

_YES = re.compile(
    r"^\s*(yes|yeah|yep|yup|sure|ok|okay|please|y|go ahead|do it|connect me)\b[\s\w,.!]*$",
    re.IGNORECASE,
)

# Fields that describe one turn; cleared at the start of each so nothing leaks across turns.
FRESH_TURN: dict[str, Any] = {
    "sources": [],
    "citations": [],
    "answer": "",
    "grounded": False,
    "degraded": None,
    "covered": True,
    "ticket": None,
    "cache": {},
    "retrieval_used_history": False,
    "private": False,
    "handoff_reason": None,
    "handoff_from": None,
}


def accepts_offer(text: str) -> bool:
    return len(text) <= 60 and _YES.match(text) is not None


def make_triage(services: AgentServices):  # type: ignore[no-untyped-def]
    threshold = services.settings.router_threshold

    async def triage(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        text = last_customer_message(state["messages"])
        update = await route(state, text)
        routed = escalate(state, text, update, threshold)
        emit("route", {key: routed[key] for key in update})
        set_attributes(
            {
                names.ROUTE: routed.get("route"),
                names.INTENT: routed.get("intent"),
                names.TRIAGE_METHOD: routed.get("triage_method"),
                names.TRIAGE_CONFIDENCE: routed.get("confidence"),
            }
        )
        return {**FRESH_TURN, **routed, "offered_handoff": False}

    async def route(state: DeskState, text: str) -> dict[str, Any]:
        if state.get("offered_handoff") and accepts_offer(text):
            return {
                "route": "handoff",
                "intent": "human_agent",
                "confidence": 1.0,
                "triage_method": "rule",
            }
        try:
            decision = await services.router.classify(text)
        except ModelGroupUnavailable as exc:
            log.warning("triage cannot embed the message, the desk is degraded: %s", exc)
            return {
                "route": "unavailable",
                "intent": None,
                "confidence": 0.0,
                "triage_method": "degraded",
            }
        return {
            "route": str(decision.route),
            "intent": decision.intent,
            "confidence": round(float(decision.confidence), 4),
            # The top intent's vote share: how sure triage is of the intent, not the route.
            "intent_share": round(float(decision.candidates[0][1]), 4)
            if decision.candidates
            else 0.0,
            "triage_method": decision.method,
        }

    return triage
