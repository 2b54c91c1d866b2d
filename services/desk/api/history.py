"""A conversation's messages as the API shows them, read from its LangGraph thread."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AnyMessage

from desk.agents.handoff import AGENT
from desk.api.schemas import HistoryMessage
from desk.bootstrap import Desk
from desk.checkpointer import thread


def role_of(message: AnyMessage) -> str:
    if message.type == "human":
        return "customer"
    return "agent" if message.name == AGENT else "assistant"


def history_messages(messages: Sequence[AnyMessage]) -> list[HistoryMessage]:
    return [
        HistoryMessage(
            role=role_of(m),
            content=m.content if isinstance(m.content, str) else str(m.content),
            metadata=dict(getattr(m, "response_metadata", {}) or {}),
        )
        for m in messages
        if m.type in ("human", "ai")
    ]


async def read_history(desk: Desk, conversation_id: str) -> list[HistoryMessage]:
    snapshot = await desk.graph.aget_state(thread(conversation_id))
    return history_messages(snapshot.values.get("messages", []) if snapshot else [])
