"""Production backend: Postgres through a psycopg connection pool."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from psycopg.errors import UniqueViolation
from psycopg_pool import AsyncConnectionPool

from bank.base import utcnow
from bank.migrations import COMPONENT, MIGRATIONS, migrate
from bank.writes import BankTx, SharedWrites
from migrator import ADVISORY_LOCK_KEY
from migrator.connections import PostgresTx


class PostgresBank(SharedWrites):
    backend = "postgres"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(clock)
        self._pool = AsyncConnectionPool(url, min_size=min_size, max_size=max_size, open=False)

    async def setup(self) -> None:
        await self._pool.open(wait=True, timeout=10)
        await migrate(self, COMPONENT, MIGRATIONS)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[BankTx]:
        async with self._pool.connection() as conn, conn.transaction():
            yield PostgresTx(conn)

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[BankTx]:
        async with self.transaction() as tx:
            # Held until this transaction ends: a second process migrating waits here.
            await tx.execute("SELECT pg_advisory_xact_lock(%s)", ADVISORY_LOCK_KEY)
            yield tx

    def is_duplicate(self, exc: Exception) -> bool:
        return isinstance(exc, UniqueViolation)

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self._pool.connection() as conn:
            return await PostgresTx(conn).fetchall(query, *params)

    async def close(self) -> None:
        await self._pool.close()
