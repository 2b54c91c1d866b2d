"""A turn that fails after it started: say so once, keep the message, forget the half.

The customer's message is never lost: it is recorded with the failure (and what the
customer had already seen), so a client can offer to send it again. The conversation's
history is rolled back to before the message, so a retry does not find it twice and the
next turn's prompt never carries a question that was never answered.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from langchain_core.messages import RemoveMessage
from langchain_core.runnables import RunnableConfig

from desk.agents.failures import AnswerInterrupted
from desk.agents.graph import TURN_ENDS
from desk.bootstrap import Desk
from desk.records import Conversation, FailedTurn
from gateway import DeadlineExceeded

log = logging.getLogger(__name__)


class TurnFailed(Exception):
    """The turn started and could not finish; `status` is the HTTP status for JSON clients."""

    def __init__(self, status: int, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retryable = retryable


def describe(exc: BaseException) -> tuple[TurnFailed, str]:
    """What the customer is told, and the reason kept for operators."""
    if isinstance(exc, AnswerInterrupted):
        failure = TurnFailed(
            503,
            "answer_interrupted",
            "The answer was interrupted before it was complete; please send your message again.",
            retryable=exc.retryable,
        )
        return failure, exc.reason
    if isinstance(exc, TimeoutError | DeadlineExceeded):
        failure = TurnFailed(
            504, "turn_timeout", "The answer took too long; please ask again.", retryable=True
        )
        return failure, f"{type(exc).__name__}: {exc}"
    incident = uuid.uuid4().hex[:12]
    log.error("turn failed (incident %s)", incident, exc_info=exc)
    failure = TurnFailed(
        500,
        "internal_error",
        f"Something went wrong on our side (incident {incident}); please send your message again.",
        retryable=True,
    )
    return failure, f"incident {incident}: {type(exc).__name__}: {exc}"


async def fail_turn(
    desk: Desk,
    config: RunnableConfig,
    conversation: Conversation,
    message: str,
    exc: BaseException,
    shown: str,
) -> TurnFailed:
    failure, reason = describe(exc)
    await desk.records.record_failed_turn(
        FailedTurn.new(
            conversation,
            message,
            code=failure.code,
            reason=reason,
            retryable=failure.retryable,
            shown=shown,
        )
    )
    await forget_unanswered(desk.graph, config, message)
    log.warning("turn failed in conversation %s: %s (%s)", conversation.id, failure.code, reason)
    return failure


async def forget_unanswered(graph: Any, config: RunnableConfig, message: str) -> None:
    """Removes the failed turn's customer message from the thread, if it is the last one."""
    snapshot = await graph.aget_state(config)
    messages = snapshot.values.get("messages", []) if snapshot else []
    if messages and messages[-1].type == "human" and messages[-1].content == message:
        await graph.aupdate_state(
            config, {"messages": [RemoveMessage(id=messages[-1].id)]}, as_node=TURN_ENDS[0]
        )
