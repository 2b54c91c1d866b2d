"""Turns answered without retrieval or a model: small talk and out-of-scope questions."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from desk.agents import replies
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
