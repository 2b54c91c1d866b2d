"""Support agents: the handoff queue, a ticket with its conversation, replies, closing.

Every endpoint takes the tenant from the agent's token; another tenant's ticket answers
404, like a missing one. Customers get 403 (desk.api.deps.current_agent).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from desk.api.deps import AgentDep, DeskDep
from desk.api.history import history_messages, read_history
from desk.api.schemas import (
    AgentReplyIn,
    ErrorOut,
    HistoryMessage,
    TicketDetail,
    TicketList,
    TicketOut,
)
from desk.auth import Principal
from desk.bootstrap import Desk
from desk.records import Ticket
from desk.waiting import TicketClosed, hand_back, reply_as_agent

router = APIRouter(prefix="/v1/agent/tickets", tags=["agents"])

TicketId = Annotated[str, Path(max_length=64, description="A ticket's id, from the queue.")]
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 422)
}


def not_found(ticket_id: str) -> HTTPException:
    return HTTPException(
        404, {"code": "ticket_not_found", "message": f"There is no ticket '{ticket_id}'."}
    )


async def find_ticket(desk: Desk, ticket_id: str, agent: Principal) -> Ticket:
    ticket = await desk.records.get_ticket(ticket_id, agent.tenant)
    if ticket is None:
        raise not_found(ticket_id)
    return ticket


def checked_text(desk: Desk, reply: AgentReplyIn) -> str:
    text = reply.text.strip()
    limit = desk.settings.max_message_chars
    if not text:
        raise HTTPException(422, {"code": "empty_message", "message": "The reply is empty."})
    if len(text) > limit:
        raise HTTPException(
            422,
            {
                "code": "message_too_long",
                "message": f"The reply is {len(text)} characters long; the limit is {limit}. "
                "Please shorten it or split it into several messages.",
            },
        )
    return text


@router.get("", response_model=TicketList, responses=ERRORS)
async def list_tickets(
    desk: DeskDep,
    agent: AgentDep,
    status: Literal["open", "closed"] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketList:
    """Open tickets oldest first (the queue's order); closed ones most recently closed first."""
    tickets = await desk.records.list_tickets(agent.tenant, status=status, limit=limit)
    return TicketList(tickets=[TicketOut.model_validate(t) for t in tickets])


@router.get("/{ticket_id}", response_model=TicketDetail, responses=ERRORS)
async def get_ticket(ticket_id: TicketId, desk: DeskDep, agent: AgentDep) -> TicketDetail:
    ticket = await find_ticket(desk, ticket_id, agent)
    return TicketDetail(
        ticket=TicketOut.model_validate(ticket),
        messages=await read_history(desk, ticket.conversation_id),
    )


@router.post(
    "/{ticket_id}/replies", status_code=201, response_model=HistoryMessage, responses=ERRORS
)
async def reply(
    ticket_id: TicketId, body: AgentReplyIn, desk: DeskDep, agent: AgentDep
) -> HistoryMessage:
    """Write to the customer; it appears in their conversation as the agent's message."""
    text = checked_text(desk, body)
    ticket = await find_ticket(desk, ticket_id, agent)
    try:
        message = await reply_as_agent(desk, ticket, agent, text)
    except TicketClosed as exc:
        raise HTTPException(
            409,
            {
                "code": "ticket_closed",
                "message": f"Ticket {ticket.reference} is closed, so the customer is back "
                "with the virtual assistant and will not see a reply here.",
            },
        ) from exc
    return history_messages([message])[0]


@router.post("/{ticket_id}/close", response_model=TicketOut, responses=ERRORS)
async def close(ticket_id: TicketId, desk: DeskDep, agent: AgentDep) -> TicketOut:
    """Close the ticket: the customer is told they are back with the AI assistant, and
    their next message is answered by it. Closing a closed ticket changes nothing."""
    ticket = await find_ticket(desk, ticket_id, agent)
    closed = await hand_back(desk, ticket, agent)
    if closed is None:
        raise not_found(ticket_id)
    return TicketOut.model_validate(closed)
