"""Running one customer turn through the graph, bounded in time, steps and concurrency.

The API's streaming and JSON endpoints both consume `run_turn`'s events, so a turn
behaves the same whichever way the customer reads it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig

from accounting import BudgetExceeded, BudgetStatus, TurnMeter, start_turn_meter
from desk import audit
from desk.actions.catalogue import agent_of
from desk.admission import AdmissionController, Overloaded, Reservation, Slot
from desk.agents.cache import CACHE_DEPLOYMENT, CACHE_GROUP
from desk.agents.state import DeskContext
from desk.approvals import Plan
from desk.bootstrap import Desk
from desk.checkpointer import thread
from desk.records import AuditRecord, Conversation, UsageRecord
from desk.records.base import utcnow
from desk.turn_failures import fail_turn
from desk.turn_watch import TurnWatch
from telemetry import names
from telemetry.instruments import instruments
from telemetry.spans import span


class TurnRejected(Exception):
    """The turn cannot start; `status` is the HTTP status that says why, and
    `retry_after_s`, when set, becomes the Retry-After header."""

    def __init__(
        self, status: int, code: str, message: str, *, retry_after_s: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class TurnEvent:
    event: str
    data: dict[str, Any]


@dataclass
class TurnGate:
    """One turn at a time per conversation; admission control over all of them."""

    controller: AdmissionController
    _busy: set[str] = field(default_factory=set)

    def shed_early(self, tenant: str) -> None:
        """Refuse now (429) a turn the controller would refuse anyway, before any work."""
        if (refused := self.controller.refusal(tenant)) is not None:
            raise shed(refused)

    @contextmanager
    def reserve(self, tenant: str) -> Iterator[Reservation | None]:
        """Refuse now (429) a turn the controller would refuse anyway, before any work;
        else hold a free slot for it (None if it would queue) until `enter`, or until the
        block ends without it."""
        try:
            reservation = self.controller.reserve(tenant)
        except Overloaded as refused:
            raise shed(refused) from None
        try:
            yield reservation
        finally:
            if reservation is not None:
                reservation.give_up()

    async def enter(
        self, conversation: Conversation, reservation: Reservation | None = None
    ) -> Slot:
        if conversation.id in self._busy:
            raise TurnRejected(
                409,
                "turn_in_progress",
                "This conversation is still answering the previous "
                "message; wait for it to finish, then send the next one.",
            )
        self._busy.add(conversation.id)
        try:
            return await self.controller.acquire(conversation.tenant, reservation)
        except BaseException as exc:
            self._busy.discard(conversation.id)
            if isinstance(exc, Overloaded):
                raise busy(exc) from exc
            raise

    def leave(
        self,
        conversation_id: str,
        slot: Slot,
        latency_s: float | None,
        *,
        kind: str = "turn",
        failed: bool = False,
    ) -> None:
        self._busy.discard(conversation_id)
        self.controller.release(slot, latency_s, kind=kind, failed=failed)


def busy(refused: Overloaded) -> TurnRejected:
    return TurnRejected(
        429,
        "busy",
        "The desk is answering as many conversations as it can right now "
        f"({refused.reason}); please send your message again in {refused.retry_after_s} "
        "seconds. Nothing was lost: this message was not taken.",
        retry_after_s=refused.retry_after_s,
    )


def shed(refused: Overloaded) -> TurnRejected:
    """The 429 for a turn refused before any work, counted as load shed."""
    instruments().rejected.add(1, {"desk.reason": "busy"})
    return busy(refused)


def month_start() -> datetime:
    return utcnow().replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def watch_budget(tenant: str, status: BudgetStatus) -> None:
    """The spend and the limits as gauges, for the budget-burn alert (infra/observability)."""
    metrics = instruments()
    labels = {names.TENANT: tenant}
    metrics.budget_spent.set(status.spent_usd, labels)
    for kind, limit in (("soft", status.budget.soft_usd), ("hard", status.budget.hard_usd)):
        if limit is not None:
            metrics.budget_limit.set(limit, {**labels, "desk.budget.kind": kind})


async def check_budget(desk: Desk, tenant: str) -> None:
    spent, _ = await desk.records.spend_since(tenant, month_start())
    status = desk.budgets.assess(tenant, spent)
    watch_budget(tenant, status)
    if status.state == "hard_limit":
        raise TurnRejected(429, "budget_exhausted", str(BudgetExceeded(tenant, status)))


async def record_usage(desk: Desk, conversation: Conversation, meter: TurnMeter) -> None:
    """The turn's priced model calls, and its cache hits as one row of what they saved."""
    priced = [
        (c.group, c.deployment, c.model, c.prompt_tokens, c.completion_tokens, c.cost_usd, 0.0)
        for c in meter.calls
    ]
    if meter.cache_hits:
        priced.insert(
            0, (CACHE_GROUP, CACHE_DEPLOYMENT, CACHE_DEPLOYMENT, 0, 0, 0.0, meter.avoided_usd)
        )
    now = utcnow()
    await desk.records.record_usage(
        [UsageRecord(conversation.tenant, conversation.id, *row, now) for row in priced]
    )


def turn_record(
    conversation: Conversation,
    trail: audit.TurnAudit,
    meter: TurnMeter,
    final: dict[str, Any],
    actions: list[dict[str, Any]],
    pending: dict[str, Any] | None,
    outcome: str,
) -> AuditRecord:
    """The turn's audit record: what ran, what it cost, what was decided and by whom."""
    return audit.new_record(
        conversation.tenant,
        conversation.id,
        conversation.customer_id,
        kind="turn",
        outcome=outcome,
        route=str(final.get("route") or ""),
        intent=str(final.get("intent") or ""),
        model_calls=tuple(audit.model_calls(meter, final.get("answered_by"))),
        tools=tuple(audit.tools(actions, pending, conversation.customer_id)),
        guardrails=tuple(trail.guardrails),
        ai_generated=True,
        ai_disclosed=audit.disclosed(final.get("messages") or ()),
        cost_usd=round(meter.cost_usd, 8),
    )


def done_metadata(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "route": state.get("route"),
        "intent": state.get("intent"),
        "confidence": state.get("confidence"),
        "triage_method": state.get("triage_method"),
        "answered_by": state.get("answered_by") if state.get("route") == "knowledge" else None,
        "grounded": state.get("grounded", False),
        "degraded": state.get("degraded"),
        "covered": state.get("covered", True),
        "citations": state.get("citations", []),
        "ticket": state.get("ticket"),
        "private": state.get("private", False),
    }


@dataclass
class Admission:
    """A turn let through the gate; its slot is given back exactly once, whoever ends it.
    The turn's latency teaches the adaptive limit, unless the turn never ran."""

    gate: TurnGate
    conversation_id: str
    slot: Slot
    ran: bool = False
    _released: bool = False

    def release(self, *, kind: str = "turn", failed: bool = False) -> None:
        if self._released:
            return
        self._released = True
        latency = self.gate.controller.clock() - self.slot.granted_at if self.ran else None
        self.gate.leave(self.conversation_id, self.slot, latency, kind=kind, failed=failed)


async def admit_turn(
    desk: Desk,
    gate: TurnGate,
    conversation: Conversation,
    reservation: Reservation | None = None,
) -> Admission:
    """Raises TurnRejected (turn limit, budget, in progress, busy) before anything runs;
    each refusal is counted by its code (`busy`, a 429, is load shed). `reservation` is
    the slot `TurnGate.reserve` held for this turn, if any."""
    settings = desk.settings
    try:
        if conversation.turns >= settings.max_turns:
            raise TurnRejected(
                409,
                "turn_limit",
                f"This conversation has reached its limit of "
                f"{settings.max_turns} messages; please start a new conversation.",
            )
        with span("admission") as current:
            await check_budget(desk, conversation.tenant)
            slot = await gate.enter(conversation, reservation)
            current.set_attribute("desk.admission.wait_s", round(slot.waited_s, 4))
    except TurnRejected as rejected:
        instruments().rejected.add(1, {"desk.reason": rejected.code})
        raise
    return Admission(gate, conversation.id, slot)


async def run_turn(
    desk: Desk, admission: Admission, conversation: Conversation, plan: Plan
) -> AsyncGenerator[TurnEvent, None]:
    """Yields the agents' events, then `done`; releases the admission when it ends.

    A turn is one graph run, or two when the message first declines a pending approval
    and is then answered as a new message (desk.approvals). Raises TurnFailed when the
    turn could not finish (recorded, and rolled back from the history). The graph run
    holds task-bound state (cancel scopes, the turn's meter), so the generator must be
    iterated from start to end in one task: the API starts it inside the response,
    never before it.
    """
    settings = desk.settings
    started = time.perf_counter()
    admission.ran = True
    meter = start_turn_meter()
    trail = audit.start_turn_audit()
    watch = TurnWatch(started, conversation.tenant)
    try:
        config: RunnableConfig = {
            **thread(conversation.id),
            "recursion_limit": settings.max_graph_steps,
        }
        context = DeskContext(
            tenant=conversation.tenant,
            conversation_id=conversation.id,
            customer_id=conversation.customer_id,
            deadline=time.monotonic() + settings.turn_timeout_s,
            private=conversation.tenant in settings.private_tenants,
        )
        final: dict[str, Any] = {}
        pending: dict[str, Any] | None = None
        actions: list[dict[str, Any]] = []
        if plan.replay is not None:
            watch.first_text()
            yield TurnEvent("token", {"text": plan.replay["message"]})
            actions.append({**plan.replay, "replayed": True})
            final = {
                "answer": plan.replay["message"],
                "route": agent_of(plan.replay["action"]),
                # No graph run: the thread as planned, for the audit's disclosure flag.
                "messages": plan.history,
            }
        for step in plan.steps:
            shown: list[str] = []
            pending = None
            try:
                async with asyncio.timeout(settings.turn_timeout_s):
                    async for part in desk.graph.astream(
                        step.input,
                        config,
                        context=context,
                        stream_mode=["custom", "values"],
                        version="v2",
                        # A turn is the unit of durability: its state is written once,
                        # when the run ends (done, interrupted for an approval, or
                        # failed), not after every node (docs/adr/0021).
                        durability="exit",
                    ):
                        if part["type"] == "custom":
                            event = TurnEvent(part["data"]["event"], part["data"]["data"])
                            if event.event == "token":
                                watch.first_text()
                                shown.append(event.data["text"])
                            elif event.event == "action":
                                actions.append(event.data)
                            elif event.event == "route":
                                watch.route = str(event.data.get("route", watch.route))
                            yield event
                        elif part["type"] == "values":
                            final = dict(part["data"])
                            pending = next((p.value for p in part.get("interrupts", ())), pending)
            except Exception as exc:
                await record_usage(desk, conversation, meter)
                failure = await fail_turn(
                    desk, config, conversation, step.message, exc, "".join(shown)
                )
                outcome = f"failed:{failure.code}"
                record = turn_record(conversation, trail, meter, final, actions, None, outcome)
                await audit.write(desk.records, record)
                raise failure from exc
        if pending is not None:
            yield TurnEvent("approval", pending)
        with span("record turn"):
            turns = await desk.records.count_turn(conversation.id)
            await record_usage(desk, conversation, meter)
            outcome = audit.turn_outcome(final, pending)
            record = turn_record(conversation, trail, meter, final, actions, pending, outcome)
            await audit.write(desk.records, record)
            spent = await desk.records.conversation_spend(conversation.id, conversation.tenant)
        metadata = done_metadata(final)
        watch.finished(metadata, meter)
        metadata.update(
            conversation_id=conversation.id,
            turn=turns,
            latency_ms=round((time.perf_counter() - started) * 1000),
            pending_approval=pending,
            actions=actions,
            usage={**meter.summary(), "conversation_cost_usd": round(spent, 8)},
        )
        yield TurnEvent("done", metadata)
    finally:
        watch.close()
        admission.release(kind=watch.kind, failed=watch.outcome != "ok")
