"""Spans for the desk's steps: one per graph node, named like LangGraph names the node.

`traced_node` wraps a node function so everything it awaits (gateway calls, retrieval,
the bank) nests under the node's span; LangGraph runs each node in a task that copies the
context, so the turn's span is the parent. The wrapper keeps the node's signature, which
LangGraph reads to decide what to pass it.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from langgraph.errors import GraphBubbleUp
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from telemetry import names
from telemetry.instruments import instruments

TRACER = "harbor.desk"
F = TypeVar("F", bound=Callable[..., Any])

Value = str | bool | int | float | list[str] | list[float] | list[int] | list[bool]


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


@contextmanager
def span(name: str, attributes: Mapping[str, Value | None] | None = None) -> Iterator[Span]:
    """A child of the current span; an exception marks it failed and propagates.

    LangGraph's interrupt (an approval waiting for the customer) travels as an exception
    too; it is recorded as `desk.interrupted`, not as a failure.
    """
    with tracer().start_as_current_span(
        name, record_exception=False, set_status_on_exception=False
    ) as current:
        set_attributes(attributes or {}, current)
        try:
            yield current
        except GraphBubbleUp:
            current.set_attribute("desk.interrupted", True)
            raise
        except BaseException as exc:
            current.record_exception(exc)
            fail(current, type(exc).__name__)
            raise


def current_trace_id() -> str:
    """The current trace's id as hex (what trace backends and the trace log show), or ""."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else ""


def set_attributes(attributes: Mapping[str, Value | None], target: Span | None = None) -> None:
    """On `target` or the current span; None values are left out."""
    target = target or trace.get_current_span()
    if target.is_recording():
        target.set_attributes({k: v for k, v in attributes.items() if v is not None})


def fail(target: Span, reason: str) -> None:
    target.set_status(Status(StatusCode.ERROR, reason))


def traced_node(name: str, node: F) -> F:
    """`node` inside a span `node {name}`, with the turn's identifiers from the runtime."""
    if inspect.iscoroutinefunction(node):

        @functools.wraps(node)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            with _node(name, args, kwargs):
                return await node(*args, **kwargs)

        return run_async  # type: ignore[return-value]

    @functools.wraps(node)
    def run(*args: Any, **kwargs: Any) -> Any:
        with _node(name, args, kwargs):
            return node(*args, **kwargs)

    return run  # type: ignore[return-value]


@contextmanager
def _node(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Iterator[None]:
    """The node's span, and its duration in `desk.node.duration` by node and outcome."""
    started = time.perf_counter()
    outcome = "error"
    try:
        with span(f"node {name}", _identity(name, args, kwargs)):
            yield
        outcome = "ok"
    except GraphBubbleUp:
        outcome = "interrupted"  # an approval waiting for the customer
        raise
    finally:
        instruments().node_duration.record(
            time.perf_counter() - started, {names.NODE: name, "desk.outcome": outcome}
        )


def _identity(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Value | None]:
    runtime = kwargs.get("runtime") or next((a for a in args[1:] if hasattr(a, "context")), None)
    context = getattr(runtime, "context", None)
    return {
        names.NODE: name,
        names.CONVERSATION_ID: getattr(context, "conversation_id", None),
        names.TENANT: getattr(context, "tenant", None),
    }
