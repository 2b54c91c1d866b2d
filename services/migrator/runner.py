"""A small migration runner: numbered migrations, each applied once, in order, under a lock.

It is generic over the migrations (any component's list: the bank's and the desk's
records) and over the database (anything that opens an exclusive transaction and
runs `%s`-parameterised SQL), so it knows nothing about SQLite or Postgres itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol


class Tx(Protocol):
    """One open transaction; queries use `%s` placeholders whatever the database."""

    async def execute(self, query: str, *params: Any) -> int:
        """Run a statement; returns the number of rows it changed."""
        ...

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]: ...


class Database(Protocol):
    # "sqlite" or "postgres": picks a migration's backend-only statements.
    backend: str

    def exclusive(self) -> AbstractAsyncContextManager[Tx]:
        """A transaction that no other migrating process runs at the same time.

        Commits on a clean exit and rolls back on an exception. SQLite: `BEGIN IMMEDIATE`;
        Postgres: a transaction holding `pg_advisory_xact_lock`.
        """
        ...


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]
    # What one kind of database alone understands (triggers, functions), by backend:
    # (("sqlite", (...)), ("postgres", (...))), run after `statements` on that backend.
    backend_statements: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def statements_for(self, backend: str) -> tuple[str, ...]:
        return self.statements + dict(self.backend_statements).get(backend, ())

    @property
    def checksum(self) -> str:
        # Whitespace-insensitive, so reformatting a migration is not a change to it. Every
        # backend's statements count, so the checksum is the same whichever database runs it.
        parts = [" ".join(statement.split()) for statement in self.statements]
        for backend, statements in sorted(self.backend_statements):
            parts.extend(f"{backend}: " + " ".join(s.split()) for s in statements)
        text = "\n;\n".join(parts)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


class MigrationError(RuntimeError):
    """The database and the code disagree about the schema; nothing was changed."""


class SchemaTooNew(MigrationError):
    """The database was migrated by newer code than this; running would risk its data."""


CREATE_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (component, version)
)
"""
SELECT_APPLIED = (
    "SELECT version, name, checksum FROM schema_migrations WHERE component = %s ORDER BY version"
)
INSERT_APPLIED = (
    "INSERT INTO schema_migrations (component, version, name, checksum, applied_at)"
    " VALUES (%s, %s, %s, %s, %s)"
)

# One key for every component: they share the schema_migrations table, whose creation
# must not race either.
ADVISORY_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"schema_migrations").digest()[:8], "big", signed=True
)


def check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if any(v <= 0 for v in versions) or versions != sorted(set(versions)):
        raise ValueError(f"migration versions must be positive and ascending, got {versions}")


async def migrate(db: Database, component: str, migrations: Sequence[Migration]) -> list[int]:
    """Apply the pending migrations of `component` in one transaction; returns their versions.

    Safe to call from several processes at once (the second waits, then finds nothing to
    do) and on every start. Refuses, changing nothing, when the database holds a version
    this code does not know or a migration that was edited after it was applied.
    """
    check_sequence(migrations)
    known = {m.version: m for m in migrations}
    newest = max(known, default=0)
    async with db.exclusive() as tx:
        await tx.execute(CREATE_TABLE)
        applied = {
            int(version): (name, checksum)
            for version, name, checksum in await tx.fetchall(SELECT_APPLIED, component)
        }
        if applied and max(applied) > newest:
            raise SchemaTooNew(
                f"the {component} schema in this database is at version {max(applied)}, but"
                f" this code only knows versions up to {newest}: it was migrated by a newer"
                " release. Deploy that release (or restore a matching backup); refusing to run."
            )
        for version, (name, checksum) in applied.items():
            migration = known.get(version)
            if migration is None or migration.checksum != checksum:
                raise MigrationError(
                    f"{component} migration {version} ({name}) was applied to this database"
                    " but differs from the code's: migrations are append-only, add a new one."
                )
        pending = [m for m in migrations if m.version not in applied]
        if applied and pending and pending[0].version < max(applied):
            raise MigrationError(
                f"{component} migration {pending[0].version} is older than the applied"
                f" version {max(applied)}: renumber it after the newest."
            )
        stamp = datetime.now(UTC).isoformat()
        for migration in pending:
            for statement in migration.statements_for(db.backend):
                await tx.execute(statement)
            await tx.execute(
                INSERT_APPLIED,
                component,
                migration.version,
                migration.name,
                migration.checksum,
                stamp,
            )
    return [m.version for m in pending]


async def schema_version(db: Database, component: str) -> int:
    """The newest applied version of `component` (0 for none)."""
    async with db.exclusive() as tx:
        await tx.execute(CREATE_TABLE)
        rows = await tx.fetchall(
            "SELECT MAX(version) FROM schema_migrations WHERE component = %s", component
        )
    return int(rows[0][0] or 0) if rows else 0
