"""The queries, written once with `%s` placeholders; the SQLite backend converts them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk.records.base import Conversation, FailedTurn, Ticket, UsageLine, UsageRecord

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
INSERT_TICKET = (
    "INSERT INTO tickets (id, reference, tenant, conversation_id, reason, summary, status,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
SELECT_TICKETS = (
    "SELECT id, reference, tenant, conversation_id, reason, summary, status, created_at"
    " FROM tickets WHERE conversation_id = %s AND tenant = %s ORDER BY created_at"
)

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
    )


def ticket_params(ticket: Ticket) -> tuple[str, ...]:
    return (
        ticket.id,
        ticket.reference,
        ticket.tenant,
        ticket.conversation_id,
        ticket.reason,
        ticket.summary,
        ticket.status,
        ticket.created_at.isoformat(),
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
