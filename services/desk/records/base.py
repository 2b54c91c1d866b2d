"""The records interface and the rows it returns."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypedDict

# The floor under audit retention: the database refuses to delete a younger record. Six
# months is the EU AI Act's minimum for a deployer's logs (Art. 26(6)); docs/adr/0020.
AUDIT_MIN_RETENTION_DAYS = 183


@dataclass(frozen=True)
class Conversation:
    id: str
    tenant: str
    created_at: datetime
    turns: int
    customer_id: str = ""  # the owner: the subject of the token that started it


class TranscriptLine(TypedDict):
    role: str  # "customer" | "assistant" | "agent"
    text: str


@dataclass(frozen=True)
class Ticket:
    id: str
    reference: str
    tenant: str
    conversation_id: str
    reason: str
    summary: str
    status: str
    created_at: datetime
    transcript: tuple[TranscriptLine, ...] = ()  # the recent turns the agent reads first
    route: str = ""  # the route the desk had taken when it handed off
    closed_at: datetime | None = None
    closed_by: str | None = None  # the agent (token subject) who closed it

    @classmethod
    def new(
        cls,
        tenant: str,
        conversation_id: str,
        reason: str,
        summary: str,
        *,
        transcript: Sequence[TranscriptLine] = (),
        route: str = "",
    ) -> Ticket:
        return cls(
            id=str(uuid.uuid4()),
            reference=new_reference(),
            tenant=tenant,
            conversation_id=conversation_id,
            reason=reason,
            summary=summary,
            status="open",
            created_at=utcnow(),
            transcript=tuple(transcript),
            route=route,
        )


@dataclass(frozen=True)
class UsageRecord:
    """One model call (or one cache hit, with `avoided_usd`) as the ledger stores it."""

    tenant: str
    conversation_id: str
    model_group: str
    deployment: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    avoided_usd: float
    created_at: datetime


@dataclass(frozen=True)
class FailedTurn:
    """A customer message whose turn did not complete; `shown` is what the customer saw."""

    id: str
    tenant: str
    conversation_id: str
    message: str
    code: str
    reason: str
    retryable: bool
    shown: str
    created_at: datetime

    @classmethod
    def new(
        cls,
        conversation: Conversation,
        message: str,
        *,
        code: str,
        reason: str,
        retryable: bool,
        shown: str = "",
    ) -> FailedTurn:
        return cls(
            id=str(uuid.uuid4()),
            tenant=conversation.tenant,
            conversation_id=conversation.id,
            message=message,
            code=code,
            reason=reason,
            retryable=retryable,
            shown=shown,
            created_at=utcnow(),
        )


@dataclass(frozen=True)
class GuardrailEvent:
    """A guardrail that fired on a turn. `detail` names rules and reasons: never the
    customer's or a document's text, so the table can be read without handling PII."""

    id: str
    tenant: str
    conversation_id: str
    customer_id: str
    kind: str  # "injection" | "indirect" | "other_customer" | ...
    family: str | None  # the attack family the detector named, when it named one
    score: float
    action: str  # "refused" | "neutralised" | ...
    detail: str
    created_at: datetime

    @classmethod
    def new(
        cls,
        tenant: str,
        conversation_id: str,
        *,
        kind: str,
        score: float,
        action: str,
        customer_id: str = "",
        family: str | None = None,
        detail: str = "",
    ) -> GuardrailEvent:
        return cls(
            id=str(uuid.uuid4()),
            tenant=tenant,
            conversation_id=conversation_id,
            customer_id=customer_id,
            kind=kind,
            family=family,
            score=score,
            action=action,
            detail=detail,
            created_at=utcnow(),
        )


class ModelCallEntry(TypedDict):
    """A model call of the turn, or (`cached`) the cached answer that stood in for one."""

    group: str
    deployment: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cached: bool


class ToolEntry(TypedDict):
    """An action proposed or carried out, with its approval decision and who made it."""

    action: str
    approval_id: str
    decision: str  # "pending" | "confirm" | "decline"
    decided_by: str  # the authenticated customer who answered; "" while pending
    decided_via: str  # "button" (a structured approval) | "message" (a typed yes or no) | ""
    status: str  # "pending" | "done" | "refused" | "failed" | "declined" | "replayed"


class GuardrailEntry(TypedDict):
    guardrail: str  # "injection" | "indirect_injection" | "other_customer" | "grounding"
    # "passed" | "refused" | "neutralised" | "grounded" | "not_grounded" | "truncated" |
    # "replaced:<why>" (an ungrounded answer replaced unseen by the sources' own words)
    outcome: str
    score: float | None


AuditKind = Literal[
    "conversation_started", "turn", "held_for_agent", "agent_reply", "ticket_closed"
]


@dataclass(frozen=True)
class AuditRecord:
    """What happened at one step of a conversation, for the people who must account for
    it: who, which route, which models at what cost, which actions and who approved them,
    which guardrails fired, and whether the customer knew they were talking to an AI.
    Identifiers and decisions only, never message text. Append-only: nothing updates or
    deletes a record but the retention prune (docs/adr/0020)."""

    id: str
    tenant: str
    conversation_id: str
    customer_id: str
    kind: AuditKind
    # "answered" | "awaiting_approval" | "handed_off" | "refused" | "failed:<code>" | ...
    outcome: str
    created_at: datetime
    agent_id: str = ""  # the support agent, for human replies and closes
    route: str = ""
    intent: str = ""
    model_calls: tuple[ModelCallEntry, ...] = ()
    tools: tuple[ToolEntry, ...] = ()
    guardrails: tuple[GuardrailEntry, ...] = ()
    ai_generated: bool = False  # the reply was written by the assistant
    ai_disclosed: bool = False  # the customer had been told it is an AI before this reply
    cost_usd: float = 0.0
    trace_id: str = ""  # the turn's trace, for `supportdesk trace` or the tracing backend

    @classmethod
    def new(cls, tenant: str, conversation_id: str, customer_id: str, **fields: Any) -> AuditRecord:
        return cls(
            id=str(uuid.uuid4()),
            tenant=tenant,
            conversation_id=conversation_id,
            customer_id=customer_id,
            created_at=utcnow(),
            **fields,
        )


@dataclass(frozen=True)
class UsageLine:
    """Usage summed per model over a period."""

    model_group: str
    deployment: str
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    avoided_usd: float


class Records(Protocol):
    backend: str

    async def setup(self) -> None: ...

    async def create_conversation(
        self, conversation_id: str, tenant: str, customer_id: str = ""
    ) -> Conversation: ...

    async def get_conversation(
        self, conversation_id: str, tenant: str, customer_id: str | None = None
    ) -> Conversation | None:
        """None when absent *or* owned by another tenant, or by another customer when
        `customer_id` is given: callers answer 404 either way. Agents pass no customer."""
        ...

    async def count_turn(self, conversation_id: str) -> int:
        """Add one finished turn and return the new count."""
        ...

    async def open_ticket(
        self,
        tenant: str,
        conversation_id: str,
        reason: str,
        summary: str,
        *,
        transcript: Sequence[TranscriptLine] = (),
        route: str = "",
    ) -> Ticket: ...

    async def tickets_for(self, conversation_id: str, tenant: str) -> list[Ticket]: ...

    async def open_ticket_for(self, conversation_id: str, tenant: str) -> Ticket | None:
        """The conversation's open ticket (the newest, should there be several), if any."""
        ...

    async def list_tickets(
        self, tenant: str, *, status: str = "open", limit: int = 50
    ) -> list[Ticket]:
        """Open tickets oldest first (the queue's order); closed ones newest first."""
        ...

    async def get_ticket(self, ticket_id: str, tenant: str) -> Ticket | None:
        """None when absent or another tenant's: callers answer 404 either way."""
        ...

    async def close_ticket(self, ticket_id: str, tenant: str, agent_id: str) -> Ticket | None:
        """Close it as `agent_id`; closing a closed ticket returns it unchanged."""
        ...

    async def record_guardrail_event(self, event: GuardrailEvent) -> None: ...

    async def guardrail_events(
        self,
        tenant: str,
        *,
        conversation_id: str | None = None,
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[GuardrailEvent]:
        """Newest first."""
        ...

    async def record_usage(self, records: Sequence[UsageRecord]) -> None: ...

    async def record_failed_turn(self, failed: FailedTurn) -> None: ...

    async def failed_turns(self, conversation_id: str, tenant: str) -> list[FailedTurn]: ...

    async def usage_by_model(self, tenant: str, since: datetime) -> list[UsageLine]: ...

    async def spend_since(self, tenant: str, since: datetime) -> tuple[float, float]:
        """(cost, avoided cost) in USD since `since`."""
        ...

    async def conversation_spend(self, conversation_id: str, tenant: str) -> float: ...

    async def record_audit(self, record: AuditRecord) -> None:
        """Append one record; there is no update, and only `prune_audit` deletes."""
        ...

    async def audit_records(
        self,
        tenant: str,
        *,
        conversation_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditRecord]:
        """Newest first; `since` is inclusive and `until` exclusive, so a page's oldest
        `created_at` passed as the next `until` reads on without repeats."""
        ...

    async def prune_audit(self, before: datetime) -> int:
        """Delete records older than `before` (the retention period); returns how many.
        The database refuses to delete one younger than `AUDIT_MIN_RETENTION_DAYS`."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


def new_reference() -> str:
    """A short reference a customer can read out on the phone: HB- and 6 unambiguous chars."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "HB-" + "".join(secrets.choice(alphabet) for _ in range(6))


def utcnow() -> datetime:
    return datetime.now(UTC)
