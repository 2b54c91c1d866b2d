"""The guard: every customer message is checked for an attempt to take over the assistant.

It runs before triage. A flagged message is answered with `SAFE_REPLY`, recorded as a
guardrail event (rule names and scores, never the message) and never reaches a model or
an agent; anything else goes on to triage. When the embedding model is down the rules
alone decide (`InjectionGuard.check_rules`): the desk degrades, it never lets a message
through unchecked and never fails the turn for it.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from desk.agents.events import emit, emit_text
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState
from desk.agents.transcript import last_customer_message
from desk.agents.triage import FRESH_TURN
from desk.audit import note_guardrail
from desk.records import GuardrailEvent
from gateway.errors import ModelGroupUnavailable
from guardrails import SAFE_REPLY, InjectionGuard, Verdict
from telemetry import names, set_attributes
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

BLOCKED = "blocked"


async def inspect(guard: InjectionGuard, text: str) -> Verdict:
    try:
        return await guard.check(text)
    except ModelGroupUnavailable as exc:
        log.warning("injection guard cannot embed the message, rules alone decide: %s", exc)
        return guard.check_rules(text)


def make_guard(services: AgentServices):  # type: ignore[no-untyped-def]
    async def guard(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        injection = services.injection_guard
        text = last_customer_message(state["messages"])
        if injection is None or not text:
            return {"route": ""}
        verdict = await inspect(injection, text)
        set_attributes(
            {
                names.GUARDRAIL: "injection",
                names.GUARDRAIL_OUTCOME: "refused" if verdict.flagged else "passed",
                "desk.guardrail.score": round(verdict.score, 4),
                "desk.guardrail.family": verdict.family if verdict.flagged else None,
            }
        )
        note_guardrail("injection", "refused" if verdict.flagged else "passed", verdict.score)
        if not verdict.flagged:
            return {"route": ""}
        instruments().guardrail_blocks.add(1, {names.GUARDRAIL: "injection"})
        context = runtime.context
        log.warning(
            "refused a message in conversation %s: %s (score %.2f)",
            context.conversation_id,
            verdict.reason,
            verdict.score,
        )
        emit("guardrail", {"kind": "injection", "family": verdict.family, "action": "refused"})
        emit_text(SAFE_REPLY)
        await record(
            services,
            context,
            kind="injection",
            family=verdict.family,
            score=verdict.score,
            action="refused",
            detail=verdict.reason,
        )
        return {
            **FRESH_TURN,
            "route": BLOCKED,
            "intent": None,
            "confidence": verdict.score,
            "triage_method": "guardrail",
            "offered_handoff": False,
            "answer": SAFE_REPLY,
            "messages": [AIMessage(content=SAFE_REPLY, response_metadata={"route": BLOCKED})],
        }

    return guard


async def record(
    services: AgentServices,
    context: DeskContext,
    *,
    kind: str,
    family: str | None,
    score: float,
    action: str,
    detail: str,
) -> None:
    """Records a guardrail decision for this turn's customer (rule names and scores, never
    the text). A lost audit line must not cost the customer their reply; the log keeps it."""
    event = GuardrailEvent.new(
        context.tenant,
        context.conversation_id,
        customer_id=context.customer_id,
        kind=kind,
        family=family,
        score=score,
        action=action,
        detail=detail,
    )
    try:
        await services.records.record_guardrail_event(event)
    except Exception:
        log.exception("could not record guardrail event %s (%s)", event.kind, event.detail)


def route_after_guard(state: DeskState) -> str:
    return BLOCKED if state.get("route") == BLOCKED else "triage"
