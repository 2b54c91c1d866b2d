"""`%s`-parameterised SQL over one open transaction, for SQLite (aiosqlite) and Postgres
(psycopg): what the migration runner and the stores' own transactions run on."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from psycopg import AsyncConnection


def sqlite_query(query: str) -> str:
    return query.replace("%s", "?")


class SqliteTx:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, query: str, *params: Any) -> int:
        async with self._db.execute(sqlite_query(query), params) as cursor:
            return cursor.rowcount

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        async with self._db.execute(sqlite_query(query), params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        async with self._db.executemany(sqlite_query(query), rows) as cursor:
            return cursor.rowcount


class PostgresTx:
    def __init__(self, conn: AsyncConnection[Any]) -> None:
        self._conn = conn

    async def execute(self, query: str, *params: Any) -> int:
        cursor = await self._conn.execute(query, params or None)
        return cursor.rowcount

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = await self._conn.execute(query, params or None)
        return [tuple(row) for row in await cursor.fetchall()]

    async def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        async with self._conn.cursor() as cursor:
            await cursor.executemany(query, rows)
            return cursor.rowcount


async def enable_wal(db: aiosqlite.Connection, timeout_s: float) -> None:
    """Switch a SQLite file to WAL, waiting out other processes doing the same.

    On a brand-new file, two processes switching it to WAL at once can get "locked"
    straight away, without SQLite's busy timeout applying: wait and retry instead.
    """
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.02)
