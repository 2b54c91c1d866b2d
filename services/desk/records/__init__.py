"""The desk's own records: conversations, handoff tickets, usage, failed turns, guardrails
and the audit trail.

One interface, `Records`, with an embedded SQLite default and a Postgres backend
selected by `DATABASE_URL`; `tests/test_records.py` runs the same contract on both.
"""

from desk.records.base import (
    AuditRecord,
    Conversation,
    FailedTurn,
    GuardrailEvent,
    Records,
    Ticket,
    UsageLine,
    UsageRecord,
)
from desk.records.factory import open_records

__all__ = [
    "AuditRecord",
    "Conversation",
    "FailedTurn",
    "GuardrailEvent",
    "Records",
    "Ticket",
    "UsageLine",
    "UsageRecord",
    "open_records",
]
