"""The desk records' schema as numbered migrations; plain SQL both SQLite and Postgres accept.

Migration 1 is the schema as it stood before migrations (hence IF NOT EXISTS): a
database made then is adopted as version 1, and moves on from there. Append only.
"""

from migrator import Migration

COMPONENT = "desk"

_CONVERSATIONS_TICKETS_USAGE = (
    """
    CREATE TABLE IF NOT EXISTS conversations (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        created_at TEXT NOT NULL,
        turns INTEGER NOT NULL DEFAULT 0
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS tickets (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        reason TEXT NOT NULL,
        summary TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS tickets_by_conversation ON tickets (conversation_id)",
    """
    CREATE TABLE IF NOT EXISTS usage (
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        model_group TEXT NOT NULL,
        deployment TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_tokens INTEGER NOT NULL,
        completion_tokens INTEGER NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        avoided_usd DOUBLE PRECISION NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS usage_by_tenant ON usage (tenant, created_at)",
)

_FAILED_TURNS = (
    # A turn that failed after the customer saw part of an answer (or timed out): kept so
    # the message is never lost and the client can offer to send it again.
    """
    CREATE TABLE IF NOT EXISTS failed_turns (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations(id),
        message TEXT NOT NULL,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        retryable INTEGER NOT NULL,
        shown TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS failed_turns_by_conversation ON failed_turns (conversation_id)",
)

_CONVERSATION_OWNER = (
    # Conversations belong to a customer (the token's subject); rows from before
    # authentication belong to nobody and so are found by no customer.
    "ALTER TABLE conversations ADD COLUMN customer_id TEXT NOT NULL DEFAULT ''",
    "CREATE INDEX IF NOT EXISTS conversations_by_customer ON conversations (tenant, customer_id)",
)

_TICKET_HANDOFF = (
    # What a human agent needs to pick a ticket up, and who closed it. Tickets opened
    # before this have an empty transcript and route and stay open until an agent closes
    # them, as they were never answered.
    "ALTER TABLE tickets ADD COLUMN transcript TEXT NOT NULL DEFAULT '[]'",
    "ALTER TABLE tickets ADD COLUMN route TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE tickets ADD COLUMN closed_at TEXT",
    "ALTER TABLE tickets ADD COLUMN closed_by TEXT",
    "CREATE INDEX IF NOT EXISTS tickets_by_status ON tickets (tenant, status, created_at)",
)

_GUARDRAIL_EVENTS = (
    # No foreign key to conversations: the guard also runs on threads the records never
    # saw (the CLI, the studio), and an attack is worth recording either way.
    """
    CREATE TABLE IF NOT EXISTS guardrail_events (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        family TEXT,
        score DOUBLE PRECISION NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS guardrail_events_by_tenant"
    " ON guardrail_events (tenant, created_at)",
    "CREATE INDEX IF NOT EXISTS guardrail_events_by_conversation"
    " ON guardrail_events (conversation_id, created_at)",
)

_AUDIT_RECORDS = (
    # One row per conversation step (docs/adr/0020): identifiers, decisions and costs as
    # JSON lists, never message text. No foreign key, like guardrail events: a record must
    # outlive nothing it points at.
    """
    CREATE TABLE IF NOT EXISTS audit_records (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        agent_id TEXT NOT NULL,
        route TEXT NOT NULL,
        intent TEXT NOT NULL,
        model_calls TEXT NOT NULL,
        tools TEXT NOT NULL,
        guardrails TEXT NOT NULL,
        ai_generated INTEGER NOT NULL,
        ai_disclosed INTEGER NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        trace_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    )
    """,
    "CREATE INDEX IF NOT EXISTS audit_records_by_tenant ON audit_records (tenant, created_at)",
    "CREATE INDEX IF NOT EXISTS audit_records_by_conversation"
    " ON audit_records (conversation_id, created_at)",
)
# Append-only in the database itself, not only in the code: no row is ever updated, and
# none younger than the legal floor (AUDIT_MIN_RETENTION_DAYS, 183) can be deleted, so
# the retention prune is the only delete that succeeds. Stored times are UTC ISO text.
_AUDIT_APPEND_ONLY_SQLITE = (
    """
    CREATE TRIGGER IF NOT EXISTS audit_records_no_update BEFORE UPDATE ON audit_records
    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS audit_records_kept BEFORE DELETE ON audit_records
    WHEN OLD.created_at > strftime('%Y-%m-%dT%H:%M:%S', 'now', '-183 days')
    BEGIN SELECT RAISE(ABORT, 'audit records are kept at least 183 days'); END
    """,
)
_AUDIT_APPEND_ONLY_POSTGRES = (
    """
    CREATE OR REPLACE FUNCTION audit_records_guard() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            RAISE EXCEPTION 'audit records are append-only';
        END IF;
        IF OLD.created_at > to_char(
            (now() AT TIME ZONE 'UTC') - INTERVAL '183 days', 'YYYY-MM-DD"T"HH24:MI:SS'
        ) THEN
            RAISE EXCEPTION 'audit records are kept at least 183 days';
        END IF;
        RETURN OLD;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE OR REPLACE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE
    ON audit_records FOR EACH ROW EXECUTE FUNCTION audit_records_guard()
    """,
)

MIGRATIONS = (
    Migration(1, "conversations, tickets, usage", _CONVERSATIONS_TICKETS_USAGE),
    Migration(2, "failed turns", _FAILED_TURNS),
    Migration(3, "conversation owner", _CONVERSATION_OWNER),
    Migration(4, "ticket handoff", _TICKET_HANDOFF),
    Migration(5, "guardrail events", _GUARDRAIL_EVENTS),
    Migration(
        6,
        "audit records",
        _AUDIT_RECORDS,
        backend_statements=(
            ("sqlite", _AUDIT_APPEND_ONLY_SQLITE),
            ("postgres", _AUDIT_APPEND_ONLY_POSTGRES),
        ),
    ),
)
