"""Reading the conversation out of graph state."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AnyMessage


def _text(message: AnyMessage) -> str:
    content = message.content
    return content if isinstance(content, str) else str(content)


def last_customer_message(messages: Sequence[AnyMessage]) -> str:
    for message in reversed(messages):
        if message.type == "human":
            return _text(message)
    return ""


def earlier_turns(messages: Sequence[AnyMessage], max_turns: int) -> list[tuple[str, str]]:
    """(role, text) of the exchanges before the latest customer message, newest kept."""
    pairs = [
        ("user" if m.type == "human" else "assistant", _text(m))
        for m in messages[:-1]
        if m.type in ("human", "ai")
    ]
    return pairs[-2 * max_turns :] if max_turns else []
