"""Embedded default: one SQLite file under the data directory (WAL, one connection)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bank.base import utcnow
from bank.migrations import COMPONENT, MIGRATIONS, migrate
from bank.writes import BankTx, SharedWrites
from migrator.connections import SqliteTx, enable_wal


class SqliteBank(SharedWrites):
    backend = "sqlite"

    def __init__(
        self, path: Path, *, clock: Callable[[], datetime] = utcnow, busy_timeout_s: float = 30.0
    ) -> None:
        super().__init__(clock)
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._db: aiosqlite.Connection | None = None
        # One connection: the lock keeps a task's transaction from interleaving with
        # another task's statements (which would otherwise run inside it).
        self._lock = asyncio.Lock()

    async def setup(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are the explicit BEGIN IMMEDIATE below, which
        # takes the write lock up front, so two processes queue instead of deadlocking.
        self._db = await aiosqlite.connect(
            self._path, isolation_level=None, timeout=self._busy_timeout_s
        )
        await enable_wal(self.db, self._busy_timeout_s)
        await self._db.execute("PRAGMA foreign_keys=ON")
        await migrate(self, COMPONENT, MIGRATIONS)

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("bank not set up: call setup() first")
        return self._db

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BankTx]:
        async with self._lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self.db)
                await self.db.execute("COMMIT")
            except BaseException:
                if self.db.in_transaction:
                    await self.db.execute("ROLLBACK")
                raise

    def exclusive(self) -> AbstractAsyncContextManager[BankTx]:
        # BEGIN IMMEDIATE already excludes every other writer, other processes included.
        return self.transaction()

    def is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self._lock:
            return await SqliteTx(self.db).fetchall(query, *params)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None
