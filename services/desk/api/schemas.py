"""Request and response bodies; their docstrings and examples appear in /docs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ApprovalAnswer(BaseModel):
    """The customer's answer to a pending approval, for clients that render buttons."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        min_length=1, max_length=64, description="The `approval.id` the desk asked about."
    )
    decision: Literal["confirm", "decline"]


class MessageIn(BaseModel):
    """One customer message. Its maximum length is `MAX_MESSAGE_CHARS` (2000 by default).

    While the desk waits for a confirmation, the message answers it: "yes" confirms, "no"
    declines, anything else declines and is then answered as a new message. `approval`
    answers it explicitly (and `content` may then be left out).
    """

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"content": "My card still hasn't arrived, what should I do?"},
                {"approval": {"id": "9f0c2d…", "decision": "confirm"}},
            ]
        },
    )

    content: str | None = Field(None, min_length=1, description="What the customer wrote.")
    approval: ApprovalAnswer | None = None

    @model_validator(mode="after")
    def _says_something(self) -> Self:
        if self.content is None and self.approval is None:
            raise ValueError("send `content` (the message), `approval` (an answer), or both")
        return self


class ConversationCreated(BaseModel):
    id: str
    created_at: datetime
    messages_url: str
    ai_disclosure: str = Field(
        description="Tells the customer they are talking to an AI system (EU AI Act "
        "Art. 50); show it before the first message. It is also the conversation's first "
        "message."
    )


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    section: str
    anchor: str


class TurnReply(BaseModel):
    conversation_id: str
    turn: int
    answer: str
    route: str | None
    citations: list[CitationOut]
    approval: dict[str, Any] | None = Field(
        None,
        description="A side effect awaiting the customer's confirmation: answer it with "
        "the next message, or with `approval: {id, decision}`.",
    )
    metadata: dict[str, Any] = Field(
        description="Triage decision, which model answered, grounding, ticket, latency."
    )


class HistoryMessage(BaseModel):
    role: str
    content: str
    metadata: dict[str, Any] = Field(default_factory=dict)


class FailedTurnOut(BaseModel):
    """A message whose turn failed; it is not in `messages`, and may be sent again."""

    message: str
    code: str
    retryable: bool
    shown: str = Field(description="What the customer saw before the failure.")
    created_at: datetime


class ConversationOut(BaseModel):
    id: str
    created_at: datetime
    turns: int
    messages: list[HistoryMessage]
    failed_turns: list[FailedTurnOut] = Field(default_factory=list)
    status: Literal["bot", "waiting_for_agent"] = Field(
        "bot", description="waiting_for_agent while a ticket is open: a person replies."
    )
    ticket: TicketRef | None = Field(None, description="The open ticket, if any.")
    pending_approval: dict[str, Any] | None = Field(
        None, description="A side effect waiting for the customer's confirmation, if any."
    )


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorOut(BaseModel):
    error: ErrorBody


# Human handoff (ADR 0014): what the customer sees of their ticket, and the agents' views.


class TicketRef(BaseModel):
    """A ticket as the customer sees it: the reference to quote and whether it is open."""

    model_config = ConfigDict(from_attributes=True)

    reference: str = Field(examples=["HB-7K2QXM"])
    status: Literal["open", "closed"]
    created_at: datetime


class WaitingReply(BaseModel):
    """A message kept for the person handling the ticket: no bot turn was run."""

    status: Literal["waiting_for_agent"] = "waiting_for_agent"
    conversation_id: str
    ticket: TicketRef
    message: str


class TranscriptLineOut(BaseModel):
    role: str = Field(description='"customer", "assistant" or "agent".')
    text: str


class TicketOut(BaseModel):
    """A handoff ticket as an agent works it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    reference: str
    conversation_id: str
    reason: str = Field(description="Why the desk handed off, e.g. 'customer asked for a person'.")
    summary: str
    route: str = Field(description="The route the desk had taken when it handed off.")
    transcript: list[TranscriptLineOut] = Field(description="The turns before the handoff.")
    status: Literal["open", "closed"]
    created_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None


class TicketList(BaseModel):
    tickets: list[TicketOut]


class TicketDetail(BaseModel):
    ticket: TicketOut
    messages: list[HistoryMessage] = Field(description="The whole conversation so far.")


class AgentReplyIn(BaseModel):
    """An agent's message to the customer; the same length limit as customer messages."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, description="Shown to the customer as the agent's reply.")


class ModelCallOut(BaseModel):
    group: str
    deployment: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cached: bool = Field(description="A semantic-cache answer that stood in for a model call.")


class ToolOut(BaseModel):
    action: str
    approval_id: str
    decision: Literal["pending", "confirm", "decline"]
    decided_by: str = Field(description="The authenticated customer who answered; '' if pending.")
    decided_via: str = Field(description="'button' (a structured approval) or 'message'.")
    status: str = Field(description="pending, done, refused, failed, declined or replayed.")


class GuardrailOut(BaseModel):
    guardrail: str
    outcome: str
    score: float | None


class AuditRecordOut(BaseModel):
    """One conversation step as the audit trail keeps it: identifiers, decisions and
    costs, never message text."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    conversation_id: str
    customer_id: str
    kind: Literal["conversation_started", "turn", "held_for_agent", "agent_reply", "ticket_closed"]
    outcome: str
    agent_id: str = Field(description="The support agent, for human replies and closes.")
    route: str
    intent: str
    model_calls: list[ModelCallOut]
    tools: list[ToolOut]
    guardrails: list[GuardrailOut]
    ai_generated: bool = Field(description="The reply was written by the AI assistant.")
    ai_disclosed: bool = Field(
        description="The customer had been told they were talking to an AI (EU AI Act Art. 50)."
    )
    cost_usd: float
    trace_id: str = Field(description="The step's trace: `supportdesk trace` or your backend.")


class AuditPage(BaseModel):
    tenant: str
    records: list[AuditRecordOut] = Field(description="Newest first.")
    next_until: datetime | None = Field(
        description="Pass as `until` for the next (older) page; null on the last page."
    )
