"""Turns answered without retrieval or a model: small talk, out of scope, and the reply for
when the desk cannot understand messages at all (its embedding model is down)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from desk.agents import replies
from desk.agents.escalation import note_unresolved
from desk.agents.events import emit_text
from desk.agents.state import DeskState


def _reply(route: str, text: str) -> dict[str, Any]:
    emit_text(text)
    return {
        "answer": text,
        "messages": [AIMessage(content=text, response_metadata={"route": route})],
    }


async def smalltalk(state: DeskState) -> dict[str, Any]:
    intent = state.get("intent") or ""
    return _reply("smalltalk", replies.SMALLTALK.get(intent, replies.SMALLTALK_DEFAULT))


async def out_of_scope(state: DeskState) -> dict[str, Any]:
    return _reply("out_of_scope", replies.OUT_OF_SCOPE)


async def cannot_understand(state: DeskState) -> dict[str, Any]:
    """The embedding model is down, so neither triage nor search can work: say so, offer a
    person, and accept a "yes" next turn (handled by rule, without embeddings). A second
    such turn is handed off instead (desk.agents.escalation)."""
    return {
        **_reply("unavailable", replies.CANNOT_UNDERSTAND),
        **note_unresolved(state),
        "offered_handoff": True,
    }
