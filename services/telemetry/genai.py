"""Attributes of a model call, after the OpenTelemetry GenAI semantic conventions."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry.trace import Span

from telemetry import names
from telemetry.instruments import instruments
from telemetry.spans import Value, fail, span

if TYPE_CHECKING:  # accounting records its calls through this module
    from accounting.meter import ModelCall


def request_attributes(
    operation: str, group: str, max_tokens: int | None, temperature: float | None
) -> dict[str, Value | None]:
    return {
        names.OPERATION: operation,
        names.REQUEST_MODEL: group,
        names.REQUEST_MAX_TOKENS: max_tokens,
        names.REQUEST_TEMPERATURE: temperature,
    }


def describe_call(target: Span, call: ModelCall, completion: Any) -> None:
    """The answer of a call: who produced it, its tokens and its price."""
    target.set_attributes(
        {
            names.RESPONSE_MODEL: call.model,
            names.DEPLOYMENT: call.deployment,
            names.TIER: call.tier,
            "desk.gateway.answered_group": call.group,
            names.FALLBACKS_USED: bool(getattr(completion, "fallbacks_used", False)),
            names.INPUT_TOKENS: call.prompt_tokens,
            names.OUTPUT_TOKENS: call.completion_tokens,
            names.COST_USD: round(call.cost_usd, 8),
        }
    )


@contextmanager
def chat_span(group: str, max_tokens: int | None, temperature: float | None) -> Iterator[Span]:
    """One model call as the agents make it (`chat {group}`), its duration recorded in
    `gen_ai.client.operation.duration` by group and, when it failed, `error.type`."""
    started = time.perf_counter()
    labels: dict[str, str] = {names.OPERATION: "chat", names.REQUEST_MODEL: group}
    try:
        with span(
            f"chat {group}", request_attributes("chat", group, max_tokens, temperature)
        ) as current:
            yield current
    except BaseException as exc:
        labels["error.type"] = type(exc).__name__
        raise
    finally:
        instruments().operation_duration.record(time.perf_counter() - started, labels)


@contextmanager
def attempt_span(group: str, number: int, settings: Mapping[str, Any]) -> Iterator[Span]:
    """One group of the chain, tried: the Router may retry inside it (`num_retries`)."""
    with span(
        f"attempt {group}",
        {
            names.REQUEST_MODEL: group,
            names.ATTEMPT: number,
            "desk.gateway.retries_allowed": settings.get("num_retries"),
        },
    ) as current:
        yield current


def fell_back(target: Span, requested: str, group: str, error: Exception) -> None:
    """A group of the chain failed and the gateway moves on: on the attempt's span, and
    counted by the error's class, which names the reason without its text."""
    reason = type(error).__name__
    target.set_attribute(names.FALLBACK_REASON, reason)
    fail(target, reason)
    instruments().fallbacks.add(
        1, {names.REQUEST_MODEL: requested, "desk.gateway.group": group, "desk.reason": reason}
    )
