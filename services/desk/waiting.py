"""A conversation waiting for a person: while it has an open ticket the bot stays quiet.

The customer's messages and the agent's replies are written into the conversation's
LangGraph thread without running the graph, "as" the handoff node: it leads to END, so
the thread is left with nothing pending and the next bot turn (after the agent closes
the ticket) starts at triage with the whole exchange in its history.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from weakref import WeakValueDictionary

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from desk import audit
from desk.agents.handoff import AGENT
from desk.auth import Principal
from desk.bootstrap import Desk
from desk.checkpointer import thread
from desk.records import Conversation, Ticket
from desk.records.base import AuditKind

WAITING = "Your message is with our team; a person will reply here."
# The customer is told when they are back with the AI (EU AI Act, Article 50(1)), as at
# the start of the conversation (desk.agents.replies.DISCLOSURE).
HANDED_BACK = (
    "Our support team has closed your request {reference}. You're now back with Harbor "
    "Bank's virtual assistant, an AI system, not a person. You can ask for a member of our "
    'team again at any time: just say "talk to a person".'
)

# Writes made outside a turn read the thread's latest checkpoint and add one after it;
# two at once (the customer and the agent typing together) would each drop the other's
# message. One lock per conversation, in this process, kept only while in use.
_locks: WeakValueDictionary[str, asyncio.Lock] = WeakValueDictionary()


class TicketClosed(Exception):
    def __init__(self, ticket: Ticket) -> None:
        super().__init__(f"Ticket {ticket.reference} is closed: the customer is back with the bot.")
        self.ticket = ticket


@asynccontextmanager
async def _writing(conversation_id: str) -> AsyncIterator[None]:
    lock = _locks.get(conversation_id)
    if lock is None:
        lock = _locks[conversation_id] = asyncio.Lock()
    async with lock:
        yield


async def append(desk: Desk, conversation_id: str, message: AnyMessage) -> None:
    async with _writing(conversation_id):
        await desk.graph.aupdate_state(
            thread(conversation_id), {"messages": [message]}, as_node="handoff"
        )


async def hold_for_agent(desk: Desk, conversation: Conversation, text: str) -> Ticket | None:
    """Keep the message for the agent when a ticket is open (and return it), else None."""
    ticket = await desk.records.open_ticket_for(conversation.id, conversation.tenant)
    if ticket is None:
        return None
    await append(desk, conversation.id, HumanMessage(content=text))
    await record(desk, ticket, conversation.customer_id, "held_for_agent", "waiting_for_agent")
    return ticket


async def reply_as_agent(desk: Desk, ticket: Ticket, agent: Principal, text: str) -> AIMessage:
    if ticket.status != "open":
        raise TicketClosed(ticket)
    message = AIMessage(
        content=text,
        name=AGENT,
        response_metadata={"route": "human", "agent_id": agent.subject, "ticket": ticket.reference},
    )
    await append(desk, ticket.conversation_id, message)
    owner = await owner_of(desk, ticket)
    await record(desk, ticket, owner, "agent_reply", "sent", agent=agent)
    return message


async def hand_back(desk: Desk, ticket: Ticket, agent: Principal) -> Ticket | None:
    """Close the ticket and tell the customer the bot has them again (once: closing a
    closed ticket changes nothing and says nothing)."""
    closed = await desk.records.close_ticket(ticket.id, ticket.tenant, agent.subject)
    if closed is not None and ticket.status == "open":
        notice = HANDED_BACK.format(reference=ticket.reference)
        await append(
            desk,
            ticket.conversation_id,
            AIMessage(
                content=notice,
                response_metadata={"route": "handoff", "ticket": ticket.reference, "closed": True},
            ),
        )
        owner = await owner_of(desk, ticket)
        await record(desk, ticket, owner, "ticket_closed", "handed_back", agent=agent)
    return closed


async def owner_of(desk: Desk, ticket: Ticket) -> str:
    conversation = await desk.records.get_conversation(ticket.conversation_id, ticket.tenant)
    return conversation.customer_id if conversation is not None else ""


async def record(
    desk: Desk,
    ticket: Ticket,
    customer_id: str,
    kind: AuditKind,
    outcome: str,
    *,
    agent: Principal | None = None,
) -> None:
    """The audit record of a step a person took while the conversation had a ticket."""
    snapshot = await desk.graph.aget_state(thread(ticket.conversation_id))
    messages = snapshot.values.get("messages", []) if snapshot else []
    await audit.write(
        desk.records,
        audit.new_record(
            ticket.tenant,
            ticket.conversation_id,
            customer_id,
            kind=kind,
            outcome=outcome,
            agent_id=agent.subject if agent is not None else "",
            route="human",
            ai_disclosed=audit.disclosed(messages),
        ),
    )
