"""Answering a pending approval: what a customer's next message does to it.

A proposed side effect pauses the conversation's graph (desk.agents.approval). The next
message answers it, in words or with the structured `approval` field:

- a clear yes ("yes", "go ahead") or `decision: confirm` resumes the graph confirmed;
- a no ("no", "cancel") or `decision: decline` resumes it declined;
- anything else declines it (no side effect without an explicit yes) and is then
  answered as a new message in the same turn.

An `approval` naming an id that is not pending is a stale button: if that approval was
already carried out, its recorded outcome is returned again (a double click changes
nothing); otherwise the request is refused with 409. A "yes" sent again right after an
action was carried out gets its outcome again too, rather than a new turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.messages import HumanMessage
from langgraph.types import Command

from desk.actions.phrases import reply_kind
from desk.agents.approval import CONFIRM_TEXT, DECLINE_TEXT
from desk.checkpointer import thread

Decision = Literal["confirm", "decline"]


class ApprovalNotPending(Exception):
    def __init__(self, approval_id: str) -> None:
        super().__init__(
            f"There is no confirmation '{approval_id}' waiting in this conversation: it was "
            "already answered or replaced. Send a new message instead."
        )
        self.message = str(self)


@dataclass(frozen=True)
class Step:
    """One graph run of a turn: a resume with the customer's answer, or a new message."""

    input: Any
    message: str


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...]
    # A repeated answer to an approval already carried out: its outcome, told again, and
    # the thread's messages as read to decide so (no graph run follows to read them).
    replay: dict[str, Any] | None = None
    history: tuple[Any, ...] = ()


def pending_in(snapshot: Any) -> dict[str, Any] | None:
    """The approval a thread's state is waiting on, as shown to the client, if any."""
    for pause in snapshot.interrupts if snapshot else ():
        value = pause.value
        if isinstance(value, dict) and "action" in value:
            return value
    return None


def resume(decision: Decision, text: str, *, via: str, superseded: bool = False) -> Step:
    """`via` is how the customer answered, for the audit: "button" or "message"."""
    said = text or (CONFIRM_TEXT if decision == "confirm" else DECLINE_TEXT)
    value = {"decision": decision, "text": said, "superseded": superseded, "via": via}
    return Step(Command(resume=value), said)


def new_message(text: str) -> Step:
    return Step({"messages": [HumanMessage(content=text)]}, text)


async def plan_turn(
    graph: Any, conversation_id: str, text: str | None, answer: tuple[str, Decision] | None
) -> Plan:
    """Raises ApprovalNotPending for a structured answer to nothing pending."""
    snapshot = await graph.aget_state(thread(conversation_id))
    pending = pending_in(snapshot)
    if answer is not None:
        approval_id, decision = answer
        if pending is not None and pending["id"] == approval_id:
            return Plan((resume(decision, text or "", via="button"),))
        done = last_action(snapshot)
        if done is not None and done.get("approval_id") == approval_id:
            return Plan((), replay=done, history=messages_of(snapshot))
        raise ApprovalNotPending(approval_id)
    assert text is not None
    if pending is None:
        done = just_done(snapshot)
        if done is not None and reply_kind(text) == "confirm":
            # "yes" again, right after the action: it is done, and says so once more.
            return Plan((), replay=done, history=messages_of(snapshot))
        return Plan((new_message(text),))
    kind = reply_kind(text)
    if kind == "other":
        return Plan((resume("decline", "", via="message", superseded=True), new_message(text)))
    return Plan((resume(kind, text, via="message"),))


def last_action(snapshot: Any) -> dict[str, Any] | None:
    action = (snapshot.values if snapshot else {}).get("last_action")
    return action if isinstance(action, dict) else None


def just_done(snapshot: Any) -> dict[str, Any] | None:
    """The confirmed action whose outcome is the conversation's last message, if any."""
    action = last_action(snapshot)
    messages = messages_of(snapshot)
    if not messages or action is None or action.get("decision") != "confirm":
        return None
    said = getattr(messages[-1], "response_metadata", {}) or {}
    recorded = said.get("action") or {}
    return action if recorded.get("approval_id") == action.get("approval_id") else None


def messages_of(snapshot: Any) -> tuple[Any, ...]:
    return tuple((snapshot.values if snapshot else {}).get("messages") or ())
