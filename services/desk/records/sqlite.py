"""Embedded default: one SQLite file under the data directory (WAL, one connection)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from desk.records import sql
from desk.records.base import Conversation, Ticket, UsageLine, UsageRecord, utcnow
from desk.records.schema import STATEMENTS


def _q(query: str) -> str:
    return query.replace("%s", "?")


class SqliteRecords:
    backend = "sqlite"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: aiosqlite.Connection | None = None
        # One connection serialises writes anyway; the lock keeps multi-statement
        # operations (insert then read back) from interleaving between tasks.
        self._lock = asyncio.Lock()

    async def setup(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        await self._db.execute("PRAGMA foreign_keys=ON")
        for statement in STATEMENTS:
            await self._db.execute(statement)
        await self._db.commit()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("records not set up: call setup() first")
        return self._db

    async def _fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self.db.execute(_q(query), params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def create_conversation(self, conversation_id: str, tenant: str) -> Conversation:
        created = utcnow()
        async with self._lock:
            await self.db.execute(
                _q(sql.INSERT_CONVERSATION), (conversation_id, tenant, created.isoformat())
            )
            await self.db.commit()
        return Conversation(id=conversation_id, tenant=tenant, created_at=created, turns=0)

    async def get_conversation(self, conversation_id: str, tenant: str) -> Conversation | None:
        rows = await self._fetchall(sql.SELECT_CONVERSATION, conversation_id, tenant)
        return sql.conversation_from_row(rows[0]) if rows else None

    async def count_turn(self, conversation_id: str) -> int:
        async with self._lock:
            rows = await self._fetchall(sql.COUNT_TURN, conversation_id)
            await self.db.commit()
        return int(rows[0][0]) if rows else 0

    async def open_ticket(
        self, tenant: str, conversation_id: str, reason: str, summary: str
    ) -> Ticket:
        ticket = Ticket.new(tenant, conversation_id, reason, summary)
        async with self._lock:
            await self.db.execute(_q(sql.INSERT_TICKET), sql.ticket_params(ticket))
            await self.db.commit()
        return ticket

    async def tickets_for(self, conversation_id: str, tenant: str) -> list[Ticket]:
        rows = await self._fetchall(sql.SELECT_TICKETS, conversation_id, tenant)
        return [sql.ticket_from_row(row) for row in rows]

    async def record_usage(self, records: Sequence[UsageRecord]) -> None:
        if not records:
            return
        async with self._lock:
            await self.db.executemany(_q(sql.INSERT_USAGE), [sql.usage_params(r) for r in records])
            await self.db.commit()

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

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
