"""The audit trail: one append-only record per conversation step (docs/adr/0020).

A turn's record is gathered while it runs. The agents note their guardrail decisions
on the turn's `TurnAudit` (a context variable, like the accounting meter, so every
graph node sees the same one); `run_turn` adds the route, the metered model calls and
the actions with their approval decisions, and writes the record before its `done`
event. Human replies, ticket closes and conversation starts are recorded where they
happen. A record names, counts and prices; it never holds message text.

Writing is bounded and never costs the customer their reply: a record that cannot be
written is logged and counted (`desk.audit.write_failures`, alerted on).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from accounting import TurnMeter
from desk.records import AuditRecord, Records
from desk.records.base import GuardrailEntry, ModelCallEntry, ToolEntry
from telemetry import current_trace_id
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

DISCLOSURE_ROUTE = "disclosure"


@dataclass
class TurnAudit:
    """What a turn's agents decided that its record must show."""

    guardrails: list[GuardrailEntry] = field(default_factory=list)

    def guardrail(self, name: str, outcome: str, score: float | None = None) -> None:
        score = None if score is None else round(float(score), 4)
        self.guardrails.append(GuardrailEntry(guardrail=name, outcome=outcome, score=score))


_current: ContextVar[TurnAudit | None] = ContextVar("turn_audit", default=None)


def start_turn_audit() -> TurnAudit:
    """For the rest of the current task, as `accounting.start_turn_meter`."""
    audit = TurnAudit()
    _current.set(audit)
    return audit


def note_guardrail(name: str, outcome: str, score: float | None = None) -> None:
    """Record a guardrail decision on the running turn's audit; outside a turn, nothing."""
    audit = _current.get()
    if audit is not None:
        audit.guardrail(name, outcome, score)


def model_calls(meter: TurnMeter, answered_by: Mapping[str, Any] | None) -> list[ModelCallEntry]:
    """The metered calls, and the cached answer when one stood in for a model call."""
    calls = [
        ModelCallEntry(
            group=call.group,
            deployment=call.deployment,
            model=call.model,
            prompt_tokens=call.prompt_tokens,
            completion_tokens=call.completion_tokens,
            cost_usd=round(call.cost_usd, 8),
            cached=False,
        )
        for call in meter.calls
    ]
    if meter.cache_hits and answered_by:
        calls.append(
            ModelCallEntry(
                group=str(answered_by.get("group", "")),
                deployment=str(answered_by.get("deployment", "")),
                model=str(answered_by.get("model", "")),
                prompt_tokens=0,
                completion_tokens=0,
                cost_usd=0.0,
                cached=True,
            )
        )
    return calls


def tools(
    actions: Iterable[Mapping[str, Any]], pending: Mapping[str, Any] | None, customer_id: str
) -> list[ToolEntry]:
    """Actions carried out or declined this turn (each answered by the authenticated
    customer whose message or button resumed it), then the one left waiting, if any."""
    entries = [
        ToolEntry(
            action=str(action.get("action", "")),
            approval_id=str(action.get("approval_id", "")),
            decision=str(action.get("decision", "")),
            decided_by=customer_id,
            decided_via=str(action.get("via", "")),
            status="replayed" if action.get("replayed") else str(action.get("status", "")),
        )
        for action in actions
    ]
    if pending is not None:
        entries.append(
            ToolEntry(
                action=str(pending.get("action", "")),
                approval_id=str(pending.get("id", "")),
                decision="pending",
                decided_by="",
                decided_via="",
                status="pending",
            )
        )
    return entries


def disclosed(messages: Sequence[Any]) -> bool:
    """Whether the conversation opened with the AI disclosure (desk.agents.replies)."""
    for message in messages:
        metadata = getattr(message, "response_metadata", None) or {}
        if metadata.get("route") == DISCLOSURE_ROUTE:
            return True
    return False


def turn_outcome(final: Mapping[str, Any], pending: Mapping[str, Any] | None) -> str:
    if pending is not None:
        return "awaiting_approval"
    if final.get("ticket"):
        return "handed_off"
    if final.get("route") == "blocked":
        return "refused"
    return "answered"


async def write(records: Records, record: AuditRecord) -> bool:
    """Append the record; a failure is logged (ids only) and counted, never raised."""
    try:
        await records.record_audit(record)
    except Exception:
        instruments().audit_write_failures.add(1, {"desk.audit.kind": record.kind})
        log.exception(
            "could not write the %s audit record of conversation %s",
            record.kind,
            record.conversation_id,
        )
        return False
    return True


def new_record(tenant: str, conversation_id: str, customer_id: str, **fields: Any) -> AuditRecord:
    """A record stamped with the current trace, so it leads to the turn's spans."""
    return AuditRecord.new(
        tenant, conversation_id, customer_id, trace_id=current_trace_id(), **fields
    )
