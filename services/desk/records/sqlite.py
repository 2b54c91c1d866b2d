"""Embedded default: one SQLite file under the data directory (WAL, one connection)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

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
from migrator import migrate
from migrator.connections import SqliteTx, enable_wal

BUSY_TIMEOUT_S = 30.0


def _q(query: str) -> str:
    return query.replace("%s", "?")


class SqliteRecords(SharedReads):
    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = None
        # One connection serialises writes anyway; the lock keeps multi-statement
        # operations (insert then read back) from interleaving between tasks.
        self._lock = asyncio.Lock()

    async def setup(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path, timeout=BUSY_TIMEOUT_S)
        await enable_wal(self._db, BUSY_TIMEOUT_S)
        await self._db.execute("PRAGMA foreign_keys=ON")
        await migrate(self, COMPONENT, MIGRATIONS)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[SqliteTx]:
        """For the migration runner: BEGIN IMMEDIATE excludes every other writer."""
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self.db)
            except BaseException:
                await self.db.rollback()
                raise
            await self.db.commit()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("records not set up: call setup() first")
        return self._db

    async def _fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self.db.execute(_q(query), params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def create_conversation(
        self, conversation_id: str, tenant: str, customer_id: str = ""
    ) -> Conversation:
        created = utcnow()
        async with self._lock:
            await self.db.execute(
                _q(sql.INSERT_CONVERSATION),
                (conversation_id, tenant, customer_id, created.isoformat()),
            )
            await self.db.commit()
        return Conversation(
            id=conversation_id, tenant=tenant, created_at=created, turns=0, customer_id=customer_id
        )

    async def count_turn(self, conversation_id: str) -> int:
        async with self._lock:
            rows = await self._fetchall(sql.COUNT_TURN, conversation_id)
            await self.db.commit()
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
        async with self._lock:
            await self.db.execute(_q(sql.INSERT_TICKET), sql.ticket_params(ticket))
            await self.db.commit()
        return ticket

    async def close_ticket(self, ticket_id: str, tenant: str, agent_id: str) -> Ticket | None:
        async with self._lock:
            await self.db.execute(
                _q(sql.CLOSE_TICKET), (utcnow().isoformat(), agent_id, ticket_id, tenant)
            )
            await self.db.commit()
        return await self.get_ticket(ticket_id, tenant)

    async def record_guardrail_event(self, event: GuardrailEvent) -> None:
        async with self._lock:
            await self.db.execute(_q(sql.INSERT_GUARDRAIL_EVENT), sql.guardrail_event_params(event))
            await self.db.commit()

    async def record_usage(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        async with self._lock:
            await self.db.executemany(_q(sql.INSERT_USAGE), [sql.usage_params(r) for r in records])
            await self.db.commit()

    async def record_failed_turn(self, failed: FailedTurn) -> None:
        async with self._lock:
            await self.db.execute(_q(sql.INSERT_FAILED_TURN), sql.failed_turn_params(failed))
            await self.db.commit()

    async def record_audit(self, record: AuditRecord) -> None:
        async with self._lock:
            await self.db.execute(_q(sql.INSERT_AUDIT), sql.audit_params(record))
            await self.db.commit()

    async def prune_audit(self, before: datetime) -> int:
        async with self._lock:
            cursor = await self.db.execute(_q(sql.PRUNE_AUDIT), (sql.stored_time(before),))
            await self.db.commit()
        return cursor.rowcount

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
