"""Privacy-aware routing: personal data only ever reaches self-hosted deployments."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway import TextDelta
from tests.support.fake_upstream import Behaviour
from tests.test_gateway_faults import (
    LOCAL_REPLY,
    MESSAGES,
    METADATA,
    PRIMARY_REPLY,
    Desk,
    running_desk,
)


@pytest.fixture
async def pair(tmp_path: Path) -> AsyncIterator[Desk]:
    """A managed primary and a self-hosted model, both fakes, behind one gateway."""
    async with running_desk(tmp_path) as running:
        yield running


async def test_a_private_request_skips_the_managed_primary(pair: Desk) -> None:
    completion = await pair.gateway.complete("answer", MESSAGES, private=True)
    assert completion.text == LOCAL_REPLY and completion.tier == "self-hosted"
    assert pair.primary.calls() == []  # not even one request left our infrastructure

    public = await pair.gateway.complete("answer", MESSAGES)
    assert public.text == PRIMARY_REPLY  # the same chain without the flag prefers managed


async def test_a_private_request_falls_back_within_self_hosted_tiers(pair: Desk) -> None:
    pair.local.script.otherwise = Behaviour("500")
    completion = await pair.gateway.complete("answer", MESSAGES, metadata=METADATA, private=True)
    assert completion.model_group == "answer-extractive"
    assert pair.primary.calls() == []


async def test_a_private_stream_never_reaches_the_managed_primary(pair: Desk) -> None:
    text = ""
    async for event in pair.gateway.stream("answer", MESSAGES, private=True):
        if isinstance(event, TextDelta):
            text += event.text
    assert text == LOCAL_REPLY
    assert pair.primary.calls() == []
