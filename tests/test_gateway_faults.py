"""Failover of `Gateway.complete`, proven against a fault-injecting fake provider.

The managed primary (`answer`) and the self-hosted tier (`answer-local`) are each played
by a fake upstream; the extractive responder is the real one. Tests count requests at the
fakes and check which group answered, never how long anything took.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway import DeadlineExceeded, Gateway, ModelGroupUnavailable
from gateway.config import load_gateway_config
from supportdesk.config import Settings
from tests.support.fake_upstream import (
    Behaviour,
    FakeUpstream,
    Script,
    chain_models_yaml,
    running_fake_upstream,
    unused_url,
)

MESSAGES = [{"role": "user", "content": "How do I freeze my card?"}]
METADATA = {
    "question": "How do I freeze my card?",
    "sources": [{"n": 1, "title": "Cards", "text": "You can freeze your card in the app."}],
}
PRIMARY_REPLY = "Primary says: tap Freeze [1]."
LOCAL_REPLY = "Local says: tap Freeze [1]."


@dataclass
class Desk:
    gateway: Gateway
    primary: FakeUpstream
    local: FakeUpstream


def build(
    tmp_path: Path,
    primary_url: str,
    local_url: str,
    *,
    max_calls: int = 6,
    max_calls_per_turn: int = 8,
) -> Gateway:
    path = tmp_path / "models.yaml"
    path.write_text(
        chain_models_yaml(
            primary_url, local_url, max_calls=max_calls, max_calls_per_turn=max_calls_per_turn
        )
    )
    settings = Settings(gateway_config=path)
    return Gateway(load_gateway_config(settings, environ={}), default_max_tokens=32)


@asynccontextmanager
async def running_desk(tmp_path: Path) -> AsyncIterator[Desk]:
    """A gateway whose `answer` and `answer-local` are two healthy fakes."""
    async with (
        running_fake_upstream(Script(reply=PRIMARY_REPLY)) as primary,
        running_fake_upstream(Script(reply=LOCAL_REPLY)) as local,
    ):
        gateway = build(tmp_path, primary.url, local.url)
        try:
            yield Desk(gateway, primary, local)
        finally:
            await gateway.aclose()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with running_desk(tmp_path) as running:
        yield running


async def test_a_healthy_primary_answers_with_one_call(desk: Desk) -> None:
    completion = await desk.gateway.complete("answer", MESSAGES)

    assert completion.text == PRIMARY_REPLY
    assert (completion.model_group, completion.fallbacks_used) == ("answer", False)
    assert len(desk.primary.calls()) == 1
    assert desk.local.calls() == []


async def test_429_with_retry_after_is_retried_once_then_answered(desk: Desk) -> None:
    desk.primary.script.then.append(Behaviour("429", retry_after_s=1))

    completion = await desk.gateway.complete("answer", MESSAGES)

    assert completion.model_group == "answer"  # the retry (num_retries: 1) succeeded
    assert len(desk.primary.calls()) == 2
    assert desk.local.calls() == []


@pytest.mark.parametrize("fault", ["429", "500", "503", "malformed"])
async def test_a_failing_primary_is_answered_by_the_next_group(desk: Desk, fault: str) -> None:
    desk.primary.script.otherwise = Behaviour(fault, retry_after_s=1)  # type: ignore[arg-type]

    completion = await desk.gateway.complete("answer", MESSAGES)

    assert completion.text == LOCAL_REPLY
    assert (completion.model_group, completion.fallbacks_used) == ("answer-local", True)
    assert 1 <= len(desk.primary.calls()) <= 2  # the first call and at most its one retry
    assert len(desk.local.calls()) == 1


async def test_a_hanging_primary_times_out_and_falls_back(tmp_path: Path) -> None:
    hang = Script(reply=PRIMARY_REPLY, otherwise=Behaviour("hang"))
    async with (
        running_fake_upstream(hang) as primary,
        running_fake_upstream(Script(reply=LOCAL_REPLY)) as local,
    ):
        gateway = build(tmp_path, primary.url, local.url, max_calls=2)
        try:
            completion = await gateway.complete("answer", MESSAGES)
        finally:
            await gateway.aclose()

    assert completion.model_group == "answer-local"
    # With 2 calls for a 3-group chain no retry is granted: one timeout is all it costs.
    assert (len(primary.calls()), len(local.calls())) == (1, 1)


async def test_a_refused_connection_falls_back_to_the_extractive_tier(tmp_path: Path) -> None:
    gateway = build(tmp_path, unused_url(), unused_url())
    try:
        completion = await gateway.complete("answer", MESSAGES, metadata=METADATA)
    finally:
        await gateway.aclose()

    assert completion.model_group == "answer-extractive"
    assert completion.text.startswith("You can freeze your card in the app [1].")


async def test_calls_per_request_stay_within_the_configured_bound(tmp_path: Path) -> None:
    down = Behaviour("500")
    async with (
        running_fake_upstream(Script(otherwise=down)) as primary,
        running_fake_upstream(Script(otherwise=down)) as local,
    ):
        gateway = build(tmp_path, primary.url, local.url, max_calls=2)
        try:
            with pytest.raises(ModelGroupUnavailable, match="max_calls_per_request"):
                await gateway.complete("answer", MESSAGES, metadata=METADATA)
        finally:
            await gateway.aclose()

    # Each group keeps one call for those behind it, so no retry is granted and the
    # extractive tier, third in the chain, finds the budget spent.
    assert (len(primary.calls()), len(local.calls())) == (1, 1)


async def test_calls_per_turn_stay_within_the_configured_bound(tmp_path: Path) -> None:
    down = Behaviour("500")
    async with (
        running_fake_upstream(Script(otherwise=down)) as primary,
        running_fake_upstream(Script(otherwise=down)) as local,
    ):
        gateway = build(tmp_path, primary.url, local.url, max_calls_per_turn=3)
        turn = gateway.new_turn_budget()
        try:
            answers = [
                await gateway.complete("answer", MESSAGES, metadata=METADATA, turn_budget=turn)
                for _ in range(4)
            ]
        finally:
            await gateway.aclose()

    # Four requests would make 12 provider calls unbounded; the turn stops at 3, and every
    # request is still answered, by the extractive tier, which calls no provider.
    assert len(primary.calls()) + len(local.calls()) == 3
    assert {a.model_group for a in answers} == {"answer-extractive"}


async def test_a_prompt_too_long_skips_to_the_larger_window(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("context_overflow")

    completion = await desk.gateway.complete("answer", MESSAGES, metadata=METADATA)

    assert completion.model_group == "answer-extractive"  # answer-local skipped
    assert desk.local.calls() == []


async def test_a_passed_deadline_raises_without_calling_the_provider(desk: Desk) -> None:
    with pytest.raises(DeadlineExceeded, match="before any call"):
        await desk.gateway.complete("answer", MESSAGES, deadline=time.monotonic() - 1)

    assert desk.primary.requests == []


async def test_a_deadline_caps_the_call_timeout(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("hang")

    with pytest.raises(DeadlineExceeded):
        await desk.gateway.complete("answer", MESSAGES, deadline=time.monotonic() + 0.3)

    assert len(desk.primary.calls()) >= 1
    assert desk.local.calls() == []  # the deadline was spent on the primary
