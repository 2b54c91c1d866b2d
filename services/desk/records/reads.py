"""Reads both backends share: the same SQL, run through each backend's own `_fetchall`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any

from desk.records import sql
from desk.records.base import (
    AuditRecord,
    Conversation,
    FailedTurn,
    GuardrailEvent,
    Ticket,
    UsageLine,
)


class SharedReads(ABC):
    @abstractmethod
    async def _fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]: ...

    async def get_conversation(
        self, conversation_id: str, tenant: str, customer_id: str | None = None
    ) -> Conversation | None:
        if customer_id is None:
            rows = await self._fetchall(sql.SELECT_CONVERSATION, conversation_id, tenant)
        else:
            rows = await self._fetchall(
                sql.SELECT_CUSTOMER_CONVERSATION, conversation_id, tenant, customer_id
            )
        return sql.conversation_from_row(rows[0]) if rows else None

    async def tickets_for(self, conversation_id: str, tenant: str) -> list[Ticket]:
        rows = await self._fetchall(sql.SELECT_TICKETS, conversation_id, tenant)
        return [sql.ticket_from_row(row) for row in rows]

    async def open_ticket_for(self, conversation_id: str, tenant: str) -> Ticket | None:
        rows = await self._fetchall(sql.SELECT_OPEN_TICKET_FOR, conversation_id, tenant)
        return sql.ticket_from_row(rows[0]) if rows else None

    async def list_tickets(
        self, tenant: str, *, status: str = "open", limit: int = 50
    ) -> list[Ticket]:
        rows = await self._fetchall(sql.list_tickets_query(status), tenant, limit)
        return [sql.ticket_from_row(row) for row in rows]

    async def get_ticket(self, ticket_id: str, tenant: str) -> Ticket | None:
        rows = await self._fetchall(sql.SELECT_TICKET, ticket_id, tenant)
        return sql.ticket_from_row(rows[0]) if rows else None

    async def guardrail_events(
        self,
        tenant: str,
        *,
        conversation_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[GuardrailEvent]:
        query, params = sql.newest_first(
            "guardrail_events", sql.GUARDRAIL_EVENT_COLUMNS, tenant, conversation_id, since, limit
        )
        rows = await self._fetchall(query, *params)
        return [sql.guardrail_event_from_row(row) for row in rows]

    async def audit_records(
        self,
        tenant: str,
        *,
        conversation_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        query, params = sql.newest_first(
            "audit_records", sql.AUDIT_COLUMNS, tenant, conversation_id, since, limit, until
        )
        rows = await self._fetchall(query, *params)
        return [sql.audit_from_row(row) for row in rows]

    async def failed_turns(self, conversation_id: str, tenant: str) -> list[FailedTurn]:
        rows = await self._fetchall(sql.SELECT_FAILED_TURNS, conversation_id, tenant)
        return [sql.failed_turn_from_row(row) for row in rows]

    async def usage_by_model(self, tenant: str, since: datetime) -> list[UsageLine]:
        rows = await self._fetchall(sql.USAGE_BY_MODEL, tenant, since.isoformat())
        return [sql.usage_from_row(row) for row in rows]

    async def spend_since(self, tenant: str, since: datetime) -> tuple[float, float]:
        rows = await self._fetchall(sql.SPEND_SINCE, tenant, since.isoformat())
        return float(rows[0][0]), float(rows[0][1])

    async def conversation_spend(self, conversation_id: str, tenant: str) -> float:
        rows = await self._fetchall(sql.CONVERSATION_SPEND, conversation_id, tenant)
        return float(rows[0][0])

    async def ping(self) -> bool:
        try:
            await self._fetchall("SELECT 1")
        except Exception:
            return False
        return True
