"""The actions ledger: one row per side effect, claimed by its idempotency key.

The unique key is what makes a resumed, retried or duplicated confirmation harmless:
the row is written in the same transaction as the effect, so either both exist or
neither does, and a second writer with the same key fails on the constraint.
"""

from migrator import Migration

MIGRATION = Migration(
    version=2,
    name="actions ledger",
    statements=(
        """
        CREATE TABLE actions (
            id TEXT PRIMARY KEY,
            tenant TEXT NOT NULL,
            idempotency_key TEXT NOT NULL,
            customer_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            request_hash TEXT NOT NULL,
            subject_id TEXT NOT NULL,
            result_id TEXT,
            changed INTEGER NOT NULL CHECK (changed IN (0, 1)),
            message TEXT NOT NULL,
            created_at TEXT NOT NULL,
            CONSTRAINT actions_once_per_key UNIQUE (tenant, idempotency_key),
            FOREIGN KEY (tenant, customer_id) REFERENCES customers (tenant, id)
        )
        """,
        "CREATE INDEX actions_by_customer ON actions (tenant, customer_id, created_at)",
    ),
)
