"""The bank's schema as numbered migrations, and the runner that applies them."""

from bank.migrations import m0001_banking, m0002_actions
from migrator import (
    Database,
    Migration,
    MigrationError,
    SchemaTooNew,
    Tx,
    migrate,
    schema_version,
)

COMPONENT = "bank"
MIGRATIONS: tuple[Migration, ...] = (m0001_banking.MIGRATION, m0002_actions.MIGRATION)

__all__ = [
    "COMPONENT",
    "MIGRATIONS",
    "Database",
    "Migration",
    "MigrationError",
    "SchemaTooNew",
    "Tx",
    "migrate",
    "schema_version",
]
