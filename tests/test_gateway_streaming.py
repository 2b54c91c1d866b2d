"""`Gateway.stream` against a fault-injecting fake: failures before the first token are
invisible, failures after it end in exactly one StreamFailed."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway import DeadlineExceeded, StreamCompleted, StreamEvent, StreamFailed, TextDelta
from tests.support.fake_upstream import Behaviour, unused_url
from tests.test_gateway_faults import (
    LOCAL_REPLY,
    MESSAGES,
    METADATA,
    PRIMARY_REPLY,
    Desk,
    build,
    running_desk,
)


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path) as running:
        yield running


async def collect(desk: Desk, **kwargs: float) -> list[StreamEvent]:
    return [e async for e in desk.gateway.stream("answer", MESSAGES, metadata=METADATA, **kwargs)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


async def test_a_healthy_stream_ends_with_the_completion(desk: Desk) -> None:
    events = await collect(desk)

    *deltas, last = events
    assert all(isinstance(e, TextDelta) for e in deltas) and len(deltas) > 1
    assert isinstance(last, StreamCompleted)
    assert text_of(events) == last.completion.text == PRIMARY_REPLY
    assert (last.completion.deployment, last.completion.fallbacks_used) == ("answer-primary", False)
    assert last.completion.completion_tokens == len(PRIMARY_REPLY.split(" "))
    assert desk.primary.calls()[0].stream is True


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour("500"), Behaviour("cut", cut_after=0), Behaviour("malformed")],
    ids=["500", "cut-before-first-token", "malformed"],
)
async def test_a_failure_before_the_first_token_is_invisible(
    desk: Desk, behaviour: Behaviour
) -> None:
    desk.primary.script.otherwise = behaviour

    events = await collect(desk)

    assert text_of(events) == LOCAL_REPLY
    assert not any(isinstance(e, StreamFailed) for e in events)
    last = events[-1]
    assert isinstance(last, StreamCompleted)
    assert (last.completion.model_group, last.completion.fallbacks_used) == ("answer-local", True)


async def test_a_primary_hanging_past_stream_timeout_falls_back(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("hang")

    events = await collect(desk)

    assert text_of(events) == LOCAL_REPLY
    assert len(desk.local.calls()) == 1


async def test_a_cut_after_n_tokens_ends_in_one_retryable_failure(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("cut", cut_after=3)

    events = await collect(desk)

    *deltas, last = events
    assert [e.text for e in deltas] == ["Primary ", "says: ", "tap "]  # exactly those 3
    assert isinstance(last, StreamFailed)
    assert last.retryable is True
    assert (last.deployment, last.text_so_far) == ("answer-primary", "Primary says: tap ")
    assert desk.local.calls() == []  # no second answer appended


async def test_the_extractive_responder_streams_as_the_last_resort(tmp_path: Path) -> None:
    gateway = build(tmp_path, unused_url(), unused_url())
    try:
        events = [e async for e in gateway.stream("answer", MESSAGES, metadata=METADATA)]
    finally:
        await gateway.aclose()

    last = events[-1]
    assert isinstance(last, StreamCompleted)
    assert last.completion.model_group == "answer-extractive"
    assert text_of(events) == last.completion.text
    assert text_of(events).startswith("You can freeze your card in the app [1].")


async def test_a_passed_deadline_raises_before_any_event(desk: Desk) -> None:
    with pytest.raises(DeadlineExceeded):
        await collect(desk, deadline=time.monotonic() - 1)

    assert desk.primary.requests == []
