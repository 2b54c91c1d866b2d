"""The approval step: a proposed side effect waits here for the customer's yes or no.

The node pauses the graph with a LangGraph `interrupt`; the thread's checkpoint holds the
pause, so it survives an API restart and any API process sharing the checkpointer can
resume it (desk.approvals reads the answer and resumes). On resume the node runs again
from the top and `interrupt` returns the answer: everything before it is a pure read of
state, and the side effect comes after, applied through the bank with an idempotency key
made from the proposal's checkpointed id, so a resumed, retried or duplicated
confirmation changes the bank at most once.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage
from langgraph.errors import GraphInterrupt
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from bank import BankError
from desk.actions.catalogue import Identity, InvalidAction, perform
from desk.agents.events import emit, emit_text
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState
from telemetry import names, set_attributes, span
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

CONFIRM_TEXT = "Yes, go ahead."
DECLINE_TEXT = "No, don't do that."
FAILED = (
    "Sorry, I couldn't do that just now, and nothing has been changed. Please try again in a "
    'few minutes, or say "talk to a person".'
)


def approval_request(proposal: dict[str, Any]) -> dict[str, Any]:
    """What a client shows (and answers with `approval: {id, decision}`)."""
    return {
        "id": proposal["id"],
        "action": proposal["action"],
        "agent": proposal["agent"],
        "summary": proposal["summary"],
        "question": proposal["question"],
        "decisions": ["confirm", "decline"],
    }


def idempotency_key(conversation_id: str, proposal_id: str) -> str:
    return f"{conversation_id}:{proposal_id}"


def make_approval(services: AgentServices):  # type: ignore[no-untyped-def]
    async def approval(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        proposal = state["proposal"]
        if proposal is None:
            raise ValueError("approval reached without a proposal")
        try:
            answer = interrupt(approval_request(proposal))
        except GraphInterrupt:
            instruments().approvals_pending.add(1, {names.TOOL_NAME: proposal["action"]})
            set_attributes({names.APPROVAL_STATE: "pending", names.TOOL_NAME: proposal["action"]})
            raise
        # Everything below runs once, on resume, with the customer's answer.
        instruments().approvals_pending.add(-1, {names.TOOL_NAME: proposal["action"]})
        if not isinstance(answer, dict):
            answer = {}
        confirmed = answer.get("decision") == "confirm"
        set_attributes(
            {
                names.APPROVAL_STATE: "confirmed" if confirmed else "declined",
                names.TOOL_NAME: proposal["action"],
            }
        )
        said = str(answer.get("text") or "") or (CONFIRM_TEXT if confirmed else DECLINE_TEXT)
        outcome = await apply(services, runtime.context, proposal) if confirmed else None
        text = outcome["message"] if outcome else str(proposal["declined"])
        record = {
            "approval_id": proposal["id"],
            "action": proposal["action"],
            "decision": "confirm" if confirmed else "decline",
            "via": str(answer.get("via") or ""),
            **(outcome or {"status": "declined"}),
        }
        emit("action", record)
        emit_text(text)
        return {
            "proposal": None,
            "answer": text,
            "last_action": record,
            "messages": [
                # A superseded approval's customer message is the next step's input.
                *([] if answer.get("superseded") else [HumanMessage(content=said)]),
                AIMessage(
                    content=text,
                    response_metadata={"route": proposal["agent"], "action": record},
                ),
            ],
        }

    return approval


async def apply(
    services: AgentServices, context: DeskContext, proposal: dict[str, Any]
) -> dict[str, Any]:
    """The side effect, once per key; a refusal is an outcome to tell, not a failure."""
    action = proposal["action"]
    attributes = {names.OPERATION: "execute_tool", names.TOOL_NAME: action}
    with span(f"execute_tool {action}", {**attributes, names.APPROVAL_STATE: "confirmed"}) as tool:
        outcome = await _perform(services, context, proposal)
        tool.set_attributes(
            {
                names.TOOL_OUTCOME: outcome["status"],
                "desk.tool.changed": bool(outcome["changed"]),
                "desk.tool.replayed": bool(outcome["replayed"]),
            }
        )
    return outcome


async def _perform(
    services: AgentServices, context: DeskContext, proposal: dict[str, Any]
) -> dict[str, Any]:
    if services.bank is None:
        return {"status": "failed", "message": FAILED, "changed": False, "replayed": False}
    who = Identity(context.tenant, context.customer_id)
    key = idempotency_key(context.conversation_id, proposal["id"])
    try:
        record = await perform(services.bank, who, proposal["action"], proposal["arguments"], key)
    except BankError as exc:
        return {"status": "refused", "message": exc.message, "changed": False, "replayed": False}
    except InvalidAction as exc:
        log.error("refused an invalid action proposal: %s", exc)
        return {"status": "failed", "message": FAILED, "changed": False, "replayed": False}
    return {
        "status": "done",
        "message": record.message,
        "changed": record.changed,
        "replayed": record.replayed,
        "result_id": record.result_id,
    }
