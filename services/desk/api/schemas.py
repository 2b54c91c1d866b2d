"""Request and response bodies; their docstrings and examples appear in /docs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MessageIn(BaseModel):
    """One customer message. Its maximum length is `MAX_MESSAGE_CHARS` (2000 by default)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"content": "My card still hasn't arrived, what should I do?"}]
        },
    )

    content: str = Field(min_length=1, description="What the customer wrote.")


class ConversationCreated(BaseModel):
    id: str
    created_at: datetime
    messages_url: str


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


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] = Field(default_factory=list)


class ErrorOut(BaseModel):
    error: ErrorBody
