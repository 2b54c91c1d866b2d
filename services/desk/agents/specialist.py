"""What the specialist agents (cards, payments, disputes) share: how a turn ends.

A specialist reads the signed-in customer's records and ends its turn one of three ways:

- `reply`: facts from the customer's own records, written by code (no model needed);
- `propose`: a side effect worth doing, which it asks the customer to confirm; the graph
  then pauses in `approval` until the customer answers (desk.agents.approval);
- `to_knowledge`: nothing in the records speaks to the question, so the help centre
  answers it (the knowledge path, with its citations).

Identity comes from `runtime.context` (the authenticated request); nothing in a message
can choose whose records are read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from bank import Bank
from desk.actions.catalogue import ACTIONS, Identity
from desk.agents.events import emit, emit_text
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState
from desk.agents.transcript import last_customer_message
from desk.audit import note_guardrail

NOT_YOURS = (
    "I can only look at and act on your own Harbor Bank accounts and cards, the ones of the "
    "person signed in to this chat. I can't share or change anyone else's details, even "
    "with their permission: they can contact us themselves."
)


@dataclass(frozen=True)
class Turn:
    """A specialist's view of the turn: who is asking, what they said, and the bank."""

    bank: Bank
    who: Identity
    text: str
    intent: str | None
    messages_so_far: int


def turn_of(
    services: AgentServices, state: DeskState, runtime: Runtime[DeskContext]
) -> Turn | None:
    """None when the desk has no bank or no signed-in customer: the help centre answers."""
    context = runtime.context
    if services.bank is None or not context.customer_id:
        return None
    messages = state["messages"]
    return Turn(
        bank=services.bank,
        who=Identity(context.tenant, context.customer_id),
        text=last_customer_message(messages),
        intent=state.get("intent"),
        messages_so_far=sum(1 for m in messages if m.type == "human"),
    )


def reply(agent: str, text: str, **extra: Any) -> dict[str, Any]:
    emit_text(text)
    return {
        "route": agent,
        "handled": "reply",
        "answer": text,
        "proposal": None,
        "messages": [AIMessage(content=text, response_metadata={"route": agent, **extra})],
    }


def propose(
    agent: str,
    action: str,
    arguments: dict[str, Any],
    question: str,
    *,
    summary: str,
    declined: str,
) -> dict[str, Any]:
    """Asks to confirm `action`; nothing is done until the customer says yes.

    The proposal's id, made here and checkpointed with the state, is what makes the side
    effect idempotent: resuming, retrying or repeating the confirmation reuses it.
    """
    if ACTIONS[action].agent != agent:
        raise ValueError(f"{agent} cannot propose {action}")
    proposal = {
        "id": uuid.uuid4().hex,
        "agent": agent,
        "action": action,
        "arguments": arguments,
        "question": question,
        "summary": summary,
        "declined": declined,
    }
    emit_text(question)
    return {
        "route": agent,
        "handled": "approval",
        "answer": question,
        "proposal": proposal,
        "messages": [
            AIMessage(
                content=question,
                response_metadata={"route": agent, "approval_id": proposal["id"]},
            )
        ],
    }


def to_knowledge() -> dict[str, Any]:
    return {"handled": "knowledge", "proposal": None}


def follow_up(turn: Turn, agent: str, operation: str, choices: dict[str, str]) -> dict[str, Any]:
    """Remembers a question the agent asked ("which card?"): an answer naming one of
    `choices` in the very next message comes back to this agent (desk.agents.graph)."""
    return {
        "follow_up": {
            "agent": agent,
            "operation": operation,
            "choices": choices,
            "after_message": turn.messages_so_far,
        }
    }


def question_pending(state: DeskState) -> dict[str, Any] | None:
    """The question a specialist asked at the previous customer message, if this message
    is the answer to it (only the very next message is)."""
    asked = state.get("follow_up")
    humans = sum(1 for m in state["messages"] if m.type == "human")
    if asked and asked.get("after_message") == humans - 1:
        return asked
    return None


def refuse_other_customer(agent: str) -> dict[str, Any]:
    emit("guardrail", {"kind": "other_customer", "action": "refused"})
    note_guardrail("other_customer", "refused")
    return reply(agent, NOT_YOURS, guardrail="other_customer")
