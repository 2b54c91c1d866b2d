"""The tokens-per-turn cap: calls clamped to what the turn has left, then refused, and the
agents answering without a model once it is spent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from accounting import MeteredGateway, ModelCall, Pricing, TurnTokensSpent, metering
from desk.agents.graph import build_graph
from desk.agents.state import DeskContext
from desk.records.sqlite import SqliteRecords
from gateway import ModelGroupUnavailable
from gateway.stream_events import StreamCompleted, TextDelta
from tests.support.fakes import DELIVERY, Decision, ScriptedGateway, ScriptedStore
from tests.support.fakes import scripted_services as scripted
from tests.test_gateway_faults import running_desk

CAP = 1000
QUESTION = "How long does a new card take to arrive?"
ROUTES = {QUESTION: Decision("knowledge", "order_physical_card")}


@dataclass(frozen=True)
class Completion:
    model_group: str
    prompt_tokens: int
    completion_tokens: int
    deployment: str = "answer-openai"
    tier: str = "managed"
    model: str = "openai/gpt-4.1-mini"
    text: str = "ok [1]"


@dataclass
class CountingGateway:
    """Answers every call with `usage` tokens and keeps the max_tokens each was given."""

    usage: Sequence[tuple[int, int]]
    default_max_tokens: int = 256
    asked: list[tuple[str, int | None]] = field(default_factory=list)

    async def complete(self, group: str, messages: Any, **kwargs: Any) -> Completion:
        self.asked.append((group, kwargs.get("max_tokens")))
        prompt, completion = self.usage[min(len(self.asked), len(self.usage)) - 1]
        return Completion(group, prompt, completion)

    async def stream(self, group: str, messages: Any, **kwargs: Any) -> AsyncIterator[Any]:
        completion = await self.complete(group, messages, **kwargs)
        yield TextDelta(completion.text)
        yield StreamCompleted(completion)  # type: ignore[arg-type]


def metered(inner: CountingGateway) -> MeteredGateway:
    return MeteredGateway(
        inner, Pricing([]), max_tokens_per_turn=CAP, model_free_groups={"answer-extractive"}
    )


def spent(tokens: int) -> ModelCall:
    """Calls earlier in the turn (triage, a specialist) that used `tokens`."""
    return ModelCall("triage", "triage-openai", "managed", "m", tokens, 0, 0.0)


async def test_calls_are_clamped_to_what_is_left_then_refused() -> None:
    inner = CountingGateway([(700, 200), (80, 40)])
    gateway = metered(inner)
    with metering() as meter:
        await gateway.complete("triage", [], max_tokens=8)
        await gateway.complete("answer", [])  # 100 left: the default 256 is clamped
        with pytest.raises(TurnTokensSpent) as refused:
            await gateway.complete("summarize", [], max_tokens=120)

    assert inner.asked == [("triage", 8), ("answer", 100)]
    assert meter.tokens == 1020 and meter.refused == ["summarize"]
    assert meter.summary()["refused_for_tokens"] == ["summarize"]
    # The agents' existing fallbacks catch what a dead model raises.
    assert isinstance(refused.value, ModelGroupUnavailable)
    assert "1020 of its 1000 tokens" in str(refused.value)


async def test_a_group_that_calls_no_model_is_never_refused() -> None:
    inner = CountingGateway([(CAP, 0), (0, 0)])
    gateway = metered(inner)
    with metering() as meter:
        await gateway.complete("answer", [])
        extractive = await gateway.complete("answer-extractive", [])

    assert extractive.model_group == "answer-extractive" and meter.refused == []


async def test_a_stream_is_clamped_and_refused_like_a_completion() -> None:
    inner = CountingGateway([(10, 40)])
    gateway = metered(inner)
    with metering() as meter:
        meter.calls.append(spent(CAP - 50))
        events = [event async for event in gateway.stream("answer", [], max_tokens=256)]
        assert isinstance(events[-1], StreamCompleted)
        with pytest.raises(TurnTokensSpent):
            async for _ in gateway.stream("answer", []):
                pass

    assert inner.asked == [("answer", 50)]
    assert meter.refused == ["answer"]


async def test_outside_a_turn_nothing_is_capped() -> None:
    inner = CountingGateway([(CAP * 5, CAP)])
    gateway = metered(inner)
    await gateway.complete("answer", [])
    await gateway.complete("answer", [], max_tokens=300)

    assert inner.asked == [("answer", None), ("answer", 300)]


@pytest.mark.parametrize(("used", "clamped_to"), [(CAP - 5, 5), (CAP, None)])
async def test_the_knowledge_agent_answers_from_its_sources_once_the_cap_is_spent(
    tmp_path: Path, records: SqliteRecords, used: int, clamped_to: int | None
) -> None:
    """The real gateway, with a managed primary and a self-hosted model played by fakes."""
    async with running_desk(tmp_path) as fakes:
        config = fakes.gateway.config
        gateway = MeteredGateway(
            fakes.gateway,
            Pricing(config.deployments),
            max_tokens_per_turn=CAP,
            model_free_groups=config.model_free_groups,
        )
        services = replace(
            scripted(ScriptedGateway({}), ScriptedStore([DELIVERY]), records, ROUTES),
            gateway=gateway,
        )
        with metering() as meter:
            meter.calls.append(spent(used))
            state = await build_graph(services).ainvoke(
                {"messages": [HumanMessage(QUESTION)]},
                context=DeskContext(tenant="harbor", conversation_id="c1"),
            )

    if clamped_to is None:
        assert fakes.primary.calls() == [] and fakes.local.calls() == []
        assert meter.refused == ["answer"]
        assert state["answered_by"]["group"] == "answer-extractive"
        assert state["messages"][-1].response_metadata["replaced_because"].startswith("unavailable")
        assert state["answer"].startswith("Cards arrive within 5 working days")
    else:
        [request] = fakes.primary.calls()
        assert request.body["max_tokens"] == clamped_to
    assert state["route"] == "knowledge" and state["citations"]
