"""What flows through the graph.

`InputState` is all a caller may send: new messages. `DeskState` adds what the agents
work out during a turn. Identity (`DeskContext`) is not state: it comes from the
authenticated request through LangGraph's runtime context, so no model output and no
message can change whose conversation this is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


@dataclass(frozen=True)
class DeskContext:
    tenant: str = "harbor"
    conversation_id: str = ""
    # The authenticated customer (the token's subject): every bank call is made for them.
    customer_id: str = ""
    # A time.monotonic() value the turn must finish by; every model call is capped by it.
    deadline: float | None = None
    # Tenant policy: every model call of this turn stays on self-hosted deployments.
    private: bool = False


class InputState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


class Source(TypedDict):
    """A retrieved chunk as numbered in the prompt; `n` is what `[n]` cites."""

    n: int
    doc_id: str
    title: str
    section: str
    anchor: str
    text: str
    score: float


class Citation(TypedDict):
    n: int
    doc_id: str
    title: str
    section: str
    anchor: str


class AnsweredBy(TypedDict):
    group: str
    deployment: str
    tier: str
    model: str


class DeskState(InputState, total=False):
    route: str
    intent: str | None
    confidence: float
    intent_share: float
    triage_method: str
    sources: list[Source]
    citations: list[Citation]
    answer: str
    answered_by: AnsweredBy
    grounded: bool
    covered: bool
    # Why the answer is not the usual one: "busy" when every model slot was in use and
    # the help centre was quoted instead (gateway.saturation). None otherwise.
    degraded: str | None
    offered_handoff: bool
    ticket: dict[str, Any] | None
    cache: dict[str, Any]
    private: bool
    retrieval_used_history: bool
    # Specialist agents (desk.agents.specialist): how the agent ended its turn ("reply",
    # "approval", "knowledge"), the side effect awaiting the customer's confirmation, a
    # question it asked ("which card?") and the last action's recorded outcome.
    handled: str
    proposal: dict[str, Any] | None
    follow_up: dict[str, Any] | None
    last_action: dict[str, Any] | None
    # Escalation (desk.agents.escalation): unsure triage turns in a row, unresolved turns
    # per intent, and why this turn was handed to a person (None when it was not).
    unsure_streak: int
    unresolved: dict[str, int]
    handoff_reason: str | None
    handoff_from: str | None
