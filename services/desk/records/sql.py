"""The queries, written once with `%s` placeholders; the SQLite backend converts them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from desk.records.base import Conversation, Ticket

INSERT_CONVERSATION = (
    "INSERT INTO conversations (id, tenant, created_at, turns) VALUES (%s, %s, %s, 0)"
)
SELECT_CONVERSATION = (
    "SELECT id, tenant, created_at, turns FROM conversations WHERE id = %s AND tenant = %s"
)
COUNT_TURN = "UPDATE conversations SET turns = turns + 1 WHERE id = %s RETURNING turns"
INSERT_TICKET = (
    "INSERT INTO tickets (id, reference, tenant, conversation_id, reason, summary, status,"
    " created_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
SELECT_TICKETS = (
    "SELECT id, reference, tenant, conversation_id, reason, summary, status, created_at"
    " FROM tickets WHERE conversation_id = %s AND tenant = %s ORDER BY created_at"
)


def conversation_from_row(row: tuple[Any, ...]) -> Conversation:
    return Conversation(
        id=row[0], tenant=row[1], created_at=datetime.fromisoformat(row[2]), turns=int(row[3])
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
