"""The queries, written once with `%s` placeholders; the SQLite backend converts them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from desk.records.base import (
    AuditRecord,
    Conversation,
    FailedTurn,
    GuardrailEvent,
    Ticket,
    TranscriptLine,
    UsageLine,
    UsageRecord,
)

INSERT_CONVERSATION = (
    "INSERT INTO conversations (id, tenant, customer_id, created_at, turns)"
    " VALUES (%s, %s, %s, %s, 0)"
)
SELECT_CONVERSATION = (
    "SELECT id, tenant, created_at, turns, customer_id FROM conversations"
    " WHERE id = %s AND tenant = %s"
)
SELECT_CUSTOMER_CONVERSATION = SELECT_CONVERSATION + " AND customer_id = %s"
COUNT_TURN = "UPDATE conversations SET turns = turns + 1 WHERE id = %s RETURNING turns"
TICKET_COLUMNS = (
    "id, reference, tenant, conversation_id, reason, summary, status, created_at,"
    " transcript, route, closed_at, closed_by"
)
INSERT_TICKET = (
    f"INSERT INTO tickets ({TICKET_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
SELECT_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE conversation_id = %s AND tenant = %s"
    " ORDER BY created_at"
)
SELECT_OPEN_TICKET_FOR = (
    f"SELECT {TICKET_COLUMNS} FROM tickets"
    " WHERE conversation_id = %s AND tenant = %s AND status = 'open'"
    " ORDER BY created_at DESC LIMIT 1"
)
SELECT_TICKET = f"SELECT {TICKET_COLUMNS} FROM tickets WHERE id = %s AND tenant = %s"
# The queue is worked oldest first; the closed list is read as history, newest first.
LIST_OPEN_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE tenant = %s AND status = 'open'"
    " ORDER BY created_at, id LIMIT %s"
)
LIST_CLOSED_TICKETS = (
    f"SELECT {TICKET_COLUMNS} FROM tickets WHERE tenant = %s AND status = 'closed'"
    " ORDER BY closed_at DESC, id LIMIT %s"
)
# Only an open ticket changes, so closing twice (or two agents at once) keeps the first close.
CLOSE_TICKET = (
    "UPDATE tickets SET status = 'closed', closed_at = %s, closed_by = %s"
    " WHERE id = %s AND tenant = %s AND status = 'open'"
)
LIST_QUERIES = {"open": LIST_OPEN_TICKETS, "closed": LIST_CLOSED_TICKETS}

GUARDRAIL_EVENT_COLUMNS = (
    "id, tenant, conversation_id, customer_id, kind, family, score, action, detail, created_at"
)
INSERT_GUARDRAIL_EVENT = (
    f"INSERT INTO guardrail_events ({GUARDRAIL_EVENT_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)

AUDIT_COLUMNS = (
    "id, tenant, conversation_id, customer_id, kind, outcome, agent_id, route, intent,"
    " model_calls, tools, guardrails, ai_generated, ai_disclosed, cost_usd, trace_id, created_at"
)
INSERT_AUDIT = (
    f"INSERT INTO audit_records ({AUDIT_COLUMNS})"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
PRUNE_AUDIT = "DELETE FROM audit_records WHERE created_at < %s"

INSERT_FAILED_TURN = (
    "INSERT INTO failed_turns (id, tenant, conversation_id, message, code, reason, retryable,"
    " shown, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
SELECT_FAILED_TURNS = (
    "SELECT id, tenant, conversation_id, message, code, reason, retryable, shown, created_at"
    " FROM failed_turns WHERE conversation_id = %s AND tenant = %s ORDER BY created_at"
)

INSERT_USAGE = (
    "INSERT INTO usage (tenant, conversation_id, model_group, deployment, model,"
    " prompt_tokens, completion_tokens, cost_usd, avoided_usd, created_at)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
USAGE_BY_MODEL = (
    "SELECT model_group, deployment, model, COUNT(*), SUM(prompt_tokens),"
    " SUM(completion_tokens), SUM(cost_usd), SUM(avoided_usd) FROM usage"
    " WHERE tenant = %s AND created_at >= %s"
    " GROUP BY model_group, deployment, model ORDER BY SUM(cost_usd) DESC, deployment"
)
SPEND_SINCE = (
    "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(SUM(avoided_usd), 0) FROM usage"
    " WHERE tenant = %s AND created_at >= %s"
)
CONVERSATION_SPEND = (
    "SELECT COALESCE(SUM(cost_usd), 0) FROM usage WHERE conversation_id = %s AND tenant = %s"
)


def usage_from_row(row: tuple[Any, ...]) -> UsageLine:
    return UsageLine(
        model_group=row[0],
        deployment=row[1],
        model=row[2],
        calls=int(row[3]),
        prompt_tokens=int(row[4]),
        completion_tokens=int(row[5]),
        cost_usd=float(row[6]),
        avoided_usd=float(row[7]),
    )


def conversation_from_row(row: tuple[Any, ...]) -> Conversation:
    return Conversation(
        id=row[0],
        tenant=row[1],
        created_at=datetime.fromisoformat(row[2]),
        turns=int(row[3]),
        customer_id=row[4],
    )


def ticket_from_row(row: tuple[Any, ...]) -> Ticket:
    return Ticket(
        id=row[0],
        reference=row[1],
        tenant=row[2],
        conversation_id=row[3],
        reason=row[4],
        summary=row[5],
        status=row[6],
        created_at=datetime.fromisoformat(row[7]),
        transcript=tuple(cast(list[TranscriptLine], json.loads(row[8]))),
        route=row[9],
        closed_at=datetime.fromisoformat(row[10]) if row[10] is not None else None,
        closed_by=row[11],
    )


def ticket_params(ticket: Ticket) -> tuple[str | None, ...]:
    return (
        ticket.id,
        ticket.reference,
        ticket.tenant,
        ticket.conversation_id,
        ticket.reason,
        ticket.summary,
        ticket.status,
        ticket.created_at.isoformat(),
        json.dumps(list(ticket.transcript)),
        ticket.route,
        ticket.closed_at.isoformat() if ticket.closed_at is not None else None,
        ticket.closed_by,
    )


def list_tickets_query(status: str) -> str:
    try:
        return LIST_QUERIES[status]
    except KeyError:
        raise ValueError(f"ticket status must be one of {sorted(LIST_QUERIES)}") from None


def newest_first(
    table: str,
    columns: str,
    tenant: str,
    conversation_id: str | None,
    since: datetime | None,
    limit: int,
    until: datetime | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """A tenant's rows of `table` newest first, filtered by whichever of conversation and
    time range were given (`since` inclusive, `until` exclusive)."""
    where, params = ["tenant = %s"], [tenant]
    if conversation_id is not None:
        where.append("conversation_id = %s")
        params.append(conversation_id)
    if since is not None:
        where.append("created_at >= %s")
        params.append(stored_time(since))
    if until is not None:
        where.append("created_at < %s")
        params.append(stored_time(until))
    query = (
        f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)}"
        " ORDER BY created_at DESC, id LIMIT %s"
    )
    return query, (*params, limit)


def stored_time(moment: datetime) -> str:
    """Times are stored as UTC ISO strings, so they compare correctly as text."""
    return moment.astimezone(UTC).isoformat()


def guardrail_event_params(event: GuardrailEvent) -> tuple[Any, ...]:
    return (
        event.id,
        event.tenant,
        event.conversation_id,
        event.customer_id,
        event.kind,
        event.family,
        event.score,
        event.action,
        event.detail,
        stored_time(event.created_at),
    )


def guardrail_event_from_row(row: tuple[Any, ...]) -> GuardrailEvent:
    return GuardrailEvent(
        id=row[0],
        tenant=row[1],
        conversation_id=row[2],
        customer_id=row[3],
        kind=row[4],
        family=row[5],
        score=float(row[6]),
        action=row[7],
        detail=row[8],
        created_at=datetime.fromisoformat(row[9]),
    )


def usage_params(record: UsageRecord) -> tuple[Any, ...]:
    return (
        record.tenant,
        record.conversation_id,
        record.model_group,
        record.deployment,
        record.model,
        record.prompt_tokens,
        record.completion_tokens,
        record.cost_usd,
        record.avoided_usd,
        record.created_at.isoformat(),
    )


def failed_turn_params(failed: FailedTurn) -> tuple[Any, ...]:
    return (
        failed.id,
        failed.tenant,
        failed.conversation_id,
        failed.message,
        failed.code,
        failed.reason,
        int(failed.retryable),
        failed.shown,
        failed.created_at.isoformat(),
    )


def failed_turn_from_row(row: tuple[Any, ...]) -> FailedTurn:
    return FailedTurn(
        id=row[0],
        tenant=row[1],
        conversation_id=row[2],
        message=row[3],
        code=row[4],
        reason=row[5],
        retryable=bool(row[6]),
        shown=row[7],
        created_at=datetime.fromisoformat(row[8]),
    )


def audit_params(record: AuditRecord) -> tuple[Any, ...]:
    return (
        record.id,
        record.tenant,
        record.conversation_id,
        record.customer_id,
        record.kind,
        record.outcome,
        record.agent_id,
        record.route,
        record.intent,
        json.dumps(list(record.model_calls)),
        json.dumps(list(record.tools)),
        json.dumps(list(record.guardrails)),
        int(record.ai_generated),
        int(record.ai_disclosed),
        record.cost_usd,
        record.trace_id,
        stored_time(record.created_at),
    )


def audit_from_row(row: tuple[Any, ...]) -> AuditRecord:
    return AuditRecord(
        id=row[0],
        tenant=row[1],
        conversation_id=row[2],
        customer_id=row[3],
        kind=row[4],
        outcome=row[5],
        agent_id=row[6],
        route=row[7],
        intent=row[8],
        model_calls=tuple(json.loads(row[9])),
        tools=tuple(json.loads(row[10])),
        guardrails=tuple(json.loads(row[11])),
        ai_generated=bool(row[12]),
        ai_disclosed=bool(row[13]),
        cost_usd=float(row[14]),
        trace_id=row[15],
        created_at=datetime.fromisoformat(row[16]),
    )
