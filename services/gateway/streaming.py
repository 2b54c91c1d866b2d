"""Reading a LiteLLM stream for `Gateway.stream`: peek at the first text, then relay the rest.

The line that matters is the first token. Before it, a failure is invisible to the
customer, so the gateway may try the next group; after it, the only honest ending for a
failure is a `StreamFailed` event, never a truncated answer dressed up as complete.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import openai

from gateway.completion import assemble_completion
from gateway.config import GatewayConfig
from gateway.stream_events import StreamCompleted, StreamEvent, StreamFailed, TextDelta

# Failures worth asking again for: the same request may well succeed on a second try.
RETRYABLE = (
    openai.APIConnectionError,  # includes timeouts and connections cut mid-stream
    openai.RateLimitError,
    openai.InternalServerError,
)


class EmptyStream(Exception):
    """The stream ended before any text: a failure, since nothing was answered."""


class _Reading:
    """What has arrived so far on one stream."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.chunks: AsyncIterator[Any] = aiter(stream)
        self.text: list[str] = []
        self.usage: object = None
        self.finished = False

    def take(self, chunk: Any) -> str:
        if getattr(chunk, "usage", None) is not None:
            self.usage = chunk.usage
        if not chunk.choices:
            return ""
        choice = chunk.choices[0]
        self.finished = self.finished or bool(choice.finish_reason)
        piece: str = choice.delta.content or ""
        self.text.append(piece)
        return piece


async def first_text(stream: Any) -> tuple[_Reading, str]:
    """Read up to the first non-empty text; raises EmptyStream if the stream ends first."""
    reading = _Reading(stream)
    async for chunk in reading.chunks:
        piece = reading.take(chunk)
        if piece:
            return reading, piece
    raise EmptyStream("the stream ended before any text")


async def relay(
    reading: _Reading,
    first: str,
    config: GatewayConfig,
    requested_group: str,
    entry_group: str,
) -> AsyncGenerator[StreamEvent, None]:
    """Yield the first text, the rest as it arrives, then exactly one terminal event."""
    deployment_id = reading.stream._hidden_params.get("model_id")
    yield TextDelta(first)
    try:
        async for chunk in reading.chunks:
            piece = reading.take(chunk)
            if piece:
                yield TextDelta(piece)
        if not reading.finished:
            raise EmptyStream("the stream ended without a finish reason")
    except (openai.APIError, EmptyStream) as exc:
        deployment = config.by_id(str(deployment_id))
        yield StreamFailed(
            reason=next(iter(str(exc).splitlines()), type(exc).__name__),
            retryable=isinstance(exc, (*RETRYABLE, EmptyStream)),
            model_group=deployment.group,
            deployment=deployment.id,
            text_so_far="".join(reading.text),
        )
        return
    text = "".join(reading.text)
    completion = assemble_completion(
        text, deployment_id, reading.usage, config, requested_group, entry_group
    )
    yield StreamCompleted(completion)
