"""What `Gateway.stream` yields: text as it arrives, then exactly one terminal event."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.completion import Completion


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamCompleted:
    """The answer is complete; `completion.text` is every delta joined."""

    completion: Completion


@dataclass(frozen=True)
class StreamFailed:
    """The deployment failed after some text was yielded: that text is not an answer.

    The caller discards what it showed and, when `retryable`, may ask again; the gateway
    never appends a second answer to a partial first one.
    """

    reason: str
    retryable: bool
    model_group: str
    deployment: str
    text_so_far: str


StreamEvent = TextDelta | StreamCompleted | StreamFailed
