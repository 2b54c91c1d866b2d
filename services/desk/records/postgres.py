"""Production backend: Postgres through a psycopg connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from psycopg_pool import AsyncConnectionPool

from desk.records import sql
from desk.records.base import (
    AuditRecord,
    Conversation,
    FailedTurn,
    GuardrailEvent,
    Ticket,
    TranscriptLine,
    UsageRecord,
    utcnow,
)
from desk.records.migrations import COMPONENT, MIGRATIONS
from desk.records.reads import SharedReads
from migrator import ADVISORY_LOCK_KEY, migrate
from migrator.connections import PostgresTx


class PostgresRecords(SharedReads):
    backend = "postgres"

    def __init__(self, url: str, max_size: int = 10) -> None:
        self._pool = AsyncConnectionPool(url, min_size=1, max_size=max_size, open=False)

    async def setup(self) -> None:
        await self._pool.open(wait=True, timeout=10)
        await migrate(self, COMPONENT, MIGRATIONS)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[PostgresTx]:
        """For the migration runner: a transaction holding the migrations' advisory lock."""
        async with self._pool.connection() as conn, conn.transaction():
            tx = PostgresTx(conn)
            await tx.execute("SELECT pg_advisory_xact_lock(%s)", ADVISORY_LOCK_KEY)
            yield tx

    async def _fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as conn, conn.cursor() as cursor:
            await cursor.execute(query, params)
            return [tuple(row) for row in await cursor.fetchall()]

    async def _execute(self, query: str, *params: Any) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(query, params)

    async def create_conversation(
        self, conversation_id: str, tenant: str, customer_id: str = ""
    ) -> Conversation:
        created = utcnow()
        await self._execute(
            sql.INSERT_CONVERSATION, conversation_id, tenant, customer_id, created.isoformat()
        )
        return Conversation(
            id=conversation_id, tenant=tenant, created_at=created, turns=0, customer_id=customer_id
        )

    async def count_turn(self, conversation_id: str) -> int:
        rows = await self._fetchall(sql.COUNT_TURN, conversation_id)
        return int(rows[0][0]) if rows else 0

    async def open_ticket(
        self,
        tenant: str,
        conversation_id: str,
        reason: str,
        summary: str,
        *,
        transcript: Sequence[TranscriptLine] = (),
        route: str = "",
    ) -> Ticket:
        ticket = Ticket.new(
            tenant, conversation_id, reason, summary, transcript=transcript, route=route
        )
        await self._execute(sql.INSERT_TICKET, *sql.ticket_params(ticket))
        return ticket

    async def close_ticket(self, ticket_id: str, tenant: str, agent_id: str) -> Ticket | None:
        await self._execute(sql.CLOSE_TICKET, utcnow().isoformat(), agent_id, ticket_id, tenant)
        return await self.get_ticket(ticket_id, tenant)

    async def record_guardrail_event(self, event: GuardrailEvent) -> None:
        await self._execute(sql.INSERT_GUARDRAIL_EVENT, *sql.guardrail_event_params(event))

    async def record_usage(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        async with self._pool.connection() as conn, conn.cursor() as cursor:
            await cursor.executemany(sql.INSERT_USAGE, [sql.usage_params(r) for r in records])

    async def record_failed_turn(self, failed: FailedTurn) -> None:
        await self._execute(sql.INSERT_FAILED_TURN, *sql.failed_turn_params(failed))

    async def record_audit(self, record: AuditRecord) -> None:
        await self._execute(sql.INSERT_AUDIT, *sql.audit_params(record))

    async def prune_audit(self, before: datetime) -> int:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(sql.PRUNE_AUDIT, (sql.stored_time(before),))
            return cursor.rowcount

    async def close(self) -> None:
        await self._pool.close()
