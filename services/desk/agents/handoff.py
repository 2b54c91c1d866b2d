"""The handoff agent: records a ticket a person will pick up, and says what happens next.

The summary is a model's job (the `summarize` group), with a non-model fallback: the
customer's own recent messages, so a ticket is opened even when every model is down.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.runtime import Runtime

from desk.agents import prompts, replies
from desk.agents.events import emit, emit_text
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState
from desk.agents.transcript import earlier_turns, last_customer_message
from desk.records.base import TranscriptLine
from telemetry import set_attributes

log = logging.getLogger(__name__)

TRANSCRIPT_TURNS = 6
# The `name` of a message a human agent wrote into the thread (desk.api.routes.agents).
AGENT = "agent"
SUMMARY_CHARS = 600
# Share of a model summary's content words that must come from the conversation.
MIN_SHARED_WORDS = 0.5
# From the help centre's facts sheet (docs/knowledge-base.md): people staff the chat 08:00-22:00.
HOURS = "08:00-22:00 every day"


def fallback_summary(transcript: list[tuple[str, str]]) -> str:
    said = [text for role, text in transcript if role == "user"][-3:]
    return ("Customer said: " + " / ".join(said))[:SUMMARY_CHARS]


def ticket_transcript(messages: Sequence[AnyMessage]) -> list[TranscriptLine]:
    """The recent turns as the agent reads them, their own earlier replies marked as such."""
    lines: list[TranscriptLine] = []
    for message in messages[-(2 * TRANSCRIPT_TURNS + 1) :]:
        if message.type == "human":
            lines.append({"role": "customer", "text": str(message.text)})
        elif message.type == "ai":
            role = "agent" if message.name == AGENT else "assistant"
            lines.append({"role": role, "text": str(message.text)})
    return lines


# Words any summary of a support chat may use without the customer having said them.
_SUMMARY_WORDS = frozenset((
    "customer", "customers", "asks", "asked", "asking", "wants", "wanted", "would", "like",
    "needs", "needed", "about", "their", "they", "them", "with", "from", "person", "agent",
    "human", "help", "support", "issue", "request", "requests", "says", "said", "this", "that",
))  # fmt: skip


def _stems(text: str) -> set[str]:
    """Four-letter stems of the content words: "staking" and "stake" are one."""
    words = re.findall(r"[a-z]{4,}", text.lower())
    return {w[:4] for w in words if w not in _SUMMARY_WORDS}


def faithful(summary: str, transcript: list[tuple[str, str]]) -> bool:
    """A summary a person can trust: no number the conversation did not contain (a small
    model invents phone numbers), and mostly the conversation's own words."""
    said = " ".join(text for _, text in transcript)
    numbers = set(re.findall(r"\d[\d -]{2,}\d", summary))
    if any(number not in said for number in numbers):
        return False
    stems = _stems(summary)
    if not summary.strip():
        return False
    return not stems or len(stems & _stems(said)) >= MIN_SHARED_WORDS * len(stems)


def make_handoff(services: AgentServices):  # type: ignore[no-untyped-def]
    async def summarise(transcript: list[tuple[str, str]], deadline: float | None) -> str:
        try:
            # A transcript is the customer's own words: it stays on self-hosted models.
            completion = await services.gateway.complete(
                "summarize",
                prompts.summary_messages(transcript),
                max_tokens=120,
                deadline=deadline,
                private=True,
            )
        except Exception as exc:  # A ticket matters more than its summary.
            log.warning("summary model unavailable, using the transcript: %s", exc)
            return fallback_summary(transcript)
        text = completion.text.strip()
        if not faithful(text, transcript):
            log.warning("summary model strayed from the transcript, using the transcript")
            return fallback_summary(transcript)
        return text[:SUMMARY_CHARS]

    async def handoff(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        messages = state["messages"]
        transcript = [
            *earlier_turns(messages, TRANSCRIPT_TURNS),
            ("user", last_customer_message(messages)),
        ]
        reason = state.get("handoff_reason") or (
            "customer asked for a person"
            if state.get("intent") == "human_agent"
            else (f"desk could not help (route {state.get('route')})")
        )
        summary = await summarise(transcript, runtime.context.deadline)
        ticket = await services.records.open_ticket(
            runtime.context.tenant,
            runtime.context.conversation_id,
            reason,
            summary,
            transcript=ticket_transcript(messages),
            route=state.get("handoff_from") or state.get("route") or "",
        )
        set_attributes(
            {
                "desk.handoff.reason": reason,
                "desk.ticket.reference": ticket.reference,
                "desk.handoff.summary_fallback": summary == fallback_summary(transcript),
            }
        )
        text = replies.handoff_notice(ticket.reference, HOURS)
        ticket_view = {"reference": ticket.reference, "status": ticket.status, "summary": summary}
        emit("ticket", ticket_view)
        emit_text(text)
        return {
            "answer": text,
            "ticket": ticket_view,
            "messages": [
                AIMessage(
                    content=text, response_metadata={"route": "handoff", "ticket": ticket_view}
                )
            ],
        }

    return handoff
