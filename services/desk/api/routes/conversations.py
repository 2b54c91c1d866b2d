"""Conversations: start one, take a customer turn (streamed or not), read the history."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Path
from fastapi.responses import JSONResponse, Response, StreamingResponse
from langchain_core.messages import AIMessage
from starlette.background import BackgroundTask

from desk import audit
from desk.agents.graph import TURN_ENDS
from desk.agents.replies import DISCLOSURE
from desk.api.deps import CustomerDep, DeskDep, GateDep
from desk.api.history import history_messages
from desk.api.schemas import (
    ConversationCreated,
    ConversationOut,
    ErrorOut,
    FailedTurnOut,
    MessageIn,
    TicketRef,
    TurnReply,
    WaitingReply,
)
from desk.api.sse import STREAM_HEADERS, frame
from desk.approvals import ApprovalNotPending, Decision, pending_in, plan_turn
from desk.auth import Principal
from desk.bootstrap import Desk
from desk.checkpointer import thread
from desk.records import Conversation, Ticket
from desk.turn_failures import TurnFailed
from desk.turns import TurnEvent, admit_turn, run_turn
from desk.waiting import WAITING, hold_for_agent
from telemetry.spans import span

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])

ConversationId = Annotated[str, Path(max_length=64, description="From POST /v1/conversations.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422, 429, 500, 503, 504)
}


async def find_conversation(desk: Desk, conversation_id: str, customer: Principal) -> Conversation:
    """The customer's own conversation; another customer's answers 404, like a missing one."""
    conversation = await desk.records.get_conversation(
        conversation_id, customer.tenant, customer_id=customer.subject
    )
    if conversation is None:
        raise HTTPException(
            404,
            {
                "code": "conversation_not_found",
                "message": f"There is no conversation '{conversation_id}'. "
                "Start one with POST /v1/conversations.",
            },
        )
    return conversation


def check_length(desk: Desk, message: MessageIn) -> str | None:
    if message.content is None:
        return None
    text = message.content.strip()
    limit = desk.settings.max_message_chars
    if not text:
        raise HTTPException(422, {"code": "empty_message", "message": "The message is empty."})
    if len(text) > limit:
        raise HTTPException(
            422,
            {
                "code": "message_too_long",
                "message": f"The message is {len(text)} characters long; the limit is {limit}. "
                "Please shorten it or split it into several messages.",
            },
        )
    return text


@router.post("", status_code=201, response_model=ConversationCreated)
async def start_conversation(desk: DeskDep, customer: CustomerDep) -> ConversationCreated:
    conversation = await desk.records.create_conversation(
        uuid.uuid4().hex, customer.tenant, customer_id=customer.subject
    )
    # EU AI Act Art. 50(1): the customer is told it is an AI before writing a word. It is
    # the thread's first message, written "as" a node that ends a turn so nothing is left
    # pending, and the history shows it like any reply.
    await desk.graph.aupdate_state(
        thread(conversation.id),
        {
            "messages": [
                AIMessage(content=DISCLOSURE, response_metadata={"route": audit.DISCLOSURE_ROUTE})
            ]
        },
        as_node=TURN_ENDS[0],
    )
    await audit.write(
        desk.records,
        audit.new_record(
            conversation.tenant,
            conversation.id,
            conversation.customer_id,
            kind="conversation_started",
            outcome="disclosed",
            ai_disclosed=True,
        ),
    )
    return ConversationCreated(
        id=conversation.id,
        created_at=conversation.created_at,
        messages_url=f"/v1/conversations/{conversation.id}/messages",
        ai_disclosure=DISCLOSURE,
    )


@router.post(
    "/{conversation_id}/messages",
    response_model=TurnReply,
    responses={
        **ERRORS,
        202: {"model": WaitingReply, "description": "Kept for the person handling the ticket."},
        200: {
            "content": {"text/event-stream": {}},
            "description": "JSON, or Server-Sent Events with `Accept: text/event-stream`: "
            "`route`, `retrieval`, `token`, `citations`, `ticket`, `guardrail`, `approval` "
            "(a side effect awaiting confirmation), `action` (one carried out), then `done` "
            "(or `error`).",
        },
    },
)
async def post_message(
    conversation_id: ConversationId,
    message: MessageIn,
    desk: DeskDep,
    gate: GateDep,
    customer: CustomerDep,
    accept: Annotated[str, Header()] = "application/json",
) -> Any:
    text = check_length(desk, message)
    # Under overload the refusal comes first, before any row is read: a 429 must be cheap.
    # A turn let through holds a free slot while its rows are read, so that turns arriving
    # meanwhile are refused here too, not after reading theirs.
    with gate.reserve(customer.tenant) as reservation:
        conversation = await find_conversation(desk, conversation_id, customer)
        # A person has the conversation (ADR 0014): the message is kept for them, no turn
        # runs. An approval alone (no text) still goes to the desk, which has the pending
        # action.
        if text is not None and (ticket := await hold_for_agent(desk, conversation, text)):
            return waiting_for_agent(conversation, ticket, accept)
        # Rejections (limit, budget, busy, a stale approval) are HTTP errors, decided
        # before any event.
        admission = await admit_turn(desk, gate, conversation, reservation)
    try:
        with span("plan turn"):
            plan = await plan_turn(desk.graph, conversation.id, text, answer_of(message))
    except ApprovalNotPending as exc:
        admission.release()
        raise HTTPException(409, {"code": "approval_not_pending", "message": exc.message}) from exc
    events = run_turn(desk, admission, conversation, plan)
    if "text/event-stream" in accept:
        # The response starts the turn and reads it to the end in its own task; the
        # background release covers a client gone before the stream began.
        return StreamingResponse(
            stream(events),
            media_type="text/event-stream",
            headers=STREAM_HEADERS,
            background=BackgroundTask(admission.release),
        )
    async with aclosing(events):
        return await collect(events)


def waiting_for_agent(conversation: Conversation, ticket: Ticket, accept: str) -> Response:
    """202 with the ticket for JSON clients; a `waiting` then a `done` event for SSE ones."""
    body = WaitingReply(
        conversation_id=conversation.id, ticket=TicketRef.model_validate(ticket), message=WAITING
    ).model_dump(mode="json")
    if "text/event-stream" not in accept:
        return JSONResponse(body, status_code=202)
    done = {**body, "turn": conversation.turns, "route": "human"}
    return Response(
        frame("waiting", body) + frame("done", done),
        media_type="text/event-stream",
        headers=STREAM_HEADERS,
    )


def answer_of(message: MessageIn) -> tuple[str, Decision] | None:
    if message.approval is None:
        return None
    return message.approval.id, message.approval.decision


async def stream(events: AsyncIterator[TurnEvent]) -> AsyncIterator[bytes]:
    """The turn as SSE; a turn that fails mid-way ends with exactly one `error` event."""
    try:
        async for event in events:
            yield frame(event.event, event.data)
    except TurnFailed as failure:
        yield frame(
            "error",
            {"code": failure.code, "message": failure.message, "retryable": failure.retryable},
        )


async def collect(events: AsyncIterator[TurnEvent]) -> TurnReply:
    tokens: list[str] = []
    done: dict[str, Any] = {}
    async for event in events:
        if event.event == "token":
            tokens.append(event.data["text"])
        elif event.event == "done":
            done = event.data
    return TurnReply(
        conversation_id=done["conversation_id"],
        turn=done["turn"],
        answer="".join(tokens).strip(),
        route=done.get("route"),
        citations=done.get("citations", []),
        approval=done.get("pending_approval"),
        metadata=done,
    )


@router.get(
    "/{conversation_id}", response_model=ConversationOut, responses={404: {"model": ErrorOut}}
)
async def get_conversation(
    conversation_id: ConversationId, desk: DeskDep, customer: CustomerDep
) -> ConversationOut:
    conversation = await find_conversation(desk, conversation_id, customer)
    snapshot = await desk.graph.aget_state(thread(conversation.id))
    messages = snapshot.values.get("messages", []) if snapshot else []
    ticket = await desk.records.open_ticket_for(conversation.id, conversation.tenant)
    return ConversationOut(
        id=conversation.id,
        created_at=conversation.created_at,
        turns=conversation.turns,
        messages=history_messages(messages),
        failed_turns=[
            FailedTurnOut(
                message=f.message,
                code=f.code,
                retryable=f.retryable,
                shown=f.shown,
                created_at=f.created_at,
            )
            for f in await desk.records.failed_turns(conversation.id, conversation.tenant)
        ],
        status="bot" if ticket is None else "waiting_for_agent",
        ticket=None if ticket is None else TicketRef.model_validate(ticket),
        pending_approval=pending_in(snapshot),
    )
