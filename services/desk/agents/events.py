"""Events the agents emit while they work; the API turns them into Server-Sent Events.

They travel on LangGraph's `custom` stream, so LangGraph Studio shows them too.
"""

from __future__ import annotations

import re
from typing import Any

from langgraph.config import get_stream_writer

# Words with their trailing whitespace, so joining the pieces restores the text exactly.
_PIECES = re.compile(r"\S+\s*|\s+")


def emit(event: str, data: dict[str, Any]) -> None:
    get_stream_writer()({"event": event, "data": data})


def emit_text(text: str) -> None:
    """Streams a finished reply as token events, a word at a time."""
    for piece in _PIECES.findall(text):
        emit("token", {"text": piece})
