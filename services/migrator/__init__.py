"""Schema migrations for the desk's relational stores (the bank's and the desk's records).

Each component keeps its numbered migrations beside its code and calls `migrate` on
start-up; the runner records them per component in one `schema_migrations` table.
"""

from migrator.runner import (
    ADVISORY_LOCK_KEY,
    Database,
    Migration,
    MigrationError,
    SchemaTooNew,
    Tx,
    check_sequence,
    migrate,
    schema_version,
)

__all__ = [
    "ADVISORY_LOCK_KEY",
    "Database",
    "Migration",
    "MigrationError",
    "SchemaTooNew",
    "Tx",
    "check_sequence",
    "migrate",
    "schema_version",
]
