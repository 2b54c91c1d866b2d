"""The gateway's bulkhead: a model group whose slots are all in use is skipped, not queued
for, and the chain's next group answers at once, saying so (`Completion.saturated`).
The fakes hold calls open (`hang`) so slots are full for as long as the test needs; the
tests count calls and never time anything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path

import pytest

from gateway import Gateway
from gateway.config import load_gateway_config
from gateway.stream_events import StreamCompleted
from supportdesk.config import Settings
from tests.support.fake_upstream import (
    Behaviour,
    FakeUpstream,
    Script,
    chain_models_yaml,
    running_fake_upstream,
)

MESSAGES = [{"role": "user", "content": "How do I freeze my card?"}]


def one_slot_chain(primary_url: str, local_url: str) -> str:
    """The desk's chain, the managed primary taking one call at a time from this process."""
    return chain_models_yaml(primary_url, local_url, timeout_s=120, primary_slots=1)


@pytest.fixture
async def fakes() -> AsyncIterator[tuple[FakeUpstream, FakeUpstream]]:
    async with (
        running_fake_upstream(Script(reply="Primary [1].")) as primary,
        running_fake_upstream(Script(reply="Local [1].")) as local,
    ):
        yield primary, local


@pytest.fixture
async def gateway(
    tmp_path: Path, fakes: tuple[FakeUpstream, FakeUpstream]
) -> AsyncIterator[Gateway]:
    primary, local = fakes
    path = tmp_path / "models.yaml"
    path.write_text(one_slot_chain(primary.url, local.url))
    built = Gateway(
        load_gateway_config(Settings(gateway_config=path), environ={}), default_max_tokens=32
    )
    yield built
    await built.aclose()


async def until_called(fake: FakeUpstream, times: int) -> None:
    for _ in range(3000):
        if len(fake.calls()) >= times:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"the fake was called {len(fake.calls())} times, not {times}")


def test_capacity_is_per_process_and_only_for_groups_that_call_a_model(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(one_slot_chain("http://127.0.0.1:1/v1", "http://127.0.0.1:2/v1"))
    config = load_gateway_config(Settings(gateway_config=path), environ={})
    assert config.capacity("answer") == 1
    assert config.capacity("answer-local") == config.max_concurrent_calls == 32
    assert config.capacity("answer-extractive") is None  # plain code: never full


async def test_a_full_group_is_skipped_and_the_next_answers_at_once(
    gateway: Gateway, fakes: tuple[FakeUpstream, FakeUpstream]
) -> None:
    primary, _ = fakes
    primary.script.then.append(Behaviour("hang"))
    held = asyncio.create_task(gateway.complete("answer", MESSAGES))
    await until_called(primary, 1)

    busy = await gateway.complete("answer", MESSAGES)
    assert (busy.model_group, busy.text, busy.saturated) == (
        "answer-local",
        "Local [1].",
        ("answer",),
    )
    assert busy.fallbacks_used and len(primary.calls()) == 1  # the full group was not asked

    held.cancel()  # the held call ends: its slot comes back
    with pytest.raises(asyncio.CancelledError):
        await held
    again = await gateway.complete("answer", MESSAGES)
    assert (again.model_group, again.saturated) == ("answer", ())


async def test_a_stream_skips_a_full_group_too_and_gives_its_slot_back(
    gateway: Gateway, fakes: tuple[FakeUpstream, FakeUpstream]
) -> None:
    primary, local = fakes

    async def completed() -> StreamCompleted:
        async with aclosing(gateway.stream("answer", MESSAGES)) as events:
            async for event in events:
                if isinstance(event, StreamCompleted):
                    return event
        raise AssertionError("the stream never completed")

    first = await completed()
    assert (first.completion.model_group, first.completion.saturated) == ("answer", ())
    primary.script.then.append(Behaviour("hang"))
    held = asyncio.create_task(completed())
    await until_called(primary, 2)
    busy = await completed()
    assert (busy.completion.model_group, busy.completion.saturated) == (
        "answer-local",
        ("answer",),
    )
    held.cancel()
    with pytest.raises(asyncio.CancelledError):
        await held
    after = await completed()
    assert after.completion.model_group == "answer"
    assert len(local.calls()) == 1
