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

MIGRATIONS = (
    Migration(1, "conversations, tickets, usage", _CONVERSATIONS_TICKETS_USAGE),
    Migration(2, "failed turns", _FAILED_TURNS),
    Migration(3, "conversation owner", _CONVERSATION_OWNER),
    Migration(4, "ticket handoff", _TICKET_HANDOFF),
    Migration(5, "guardrail events", _GUARDRAIL_EVENTS),
)
