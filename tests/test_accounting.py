"""Pricing, metering and budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from accounting import Budget, BudgetExceeded, BudgetPolicy, MeteredGateway, Pricing, metering


@dataclass(frozen=True)
class Deployment:
    id: str
    model: str
    model_info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    model_group: str
    deployment: str
    tier: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    text: str = "ok [1]"


class Gateway:
    def __init__(self, completion: Completion) -> None:
        self.completion = completion

    async def complete(self, group: str, messages: Any, **kwargs: Any) -> Completion:
        return self.completion

    def health_marker(self) -> str:
        return "passed through"


PRICING = Pricing(
    [
        Deployment("answer-openai", "openai/gpt-4.1-mini"),
        Deployment(
            "answer-smollm2",
            "openai/smollm2-135m-instruct",
            {"input_cost_per_token": 1e-8, "output_cost_per_token": 2e-8},
        ),
        Deployment("answer-extractive", "extractive/responder"),
    ]
)


def test_prices_come_from_config_first_then_litellm_then_nothing() -> None:
    assert PRICING.rate("answer-smollm2").source == "config"
    assert PRICING.cost("answer-smollm2", 1000, 500) == pytest.approx(1000 * 1e-8 + 500 * 2e-8)
    managed = PRICING.rate("answer-openai")
    assert managed.source == "litellm" and managed.input_per_token > 0
    assert PRICING.rate("answer-extractive").source == "unpriced"
    assert PRICING.cost("answer-extractive", 1000, 500) == 0.0


async def test_each_call_in_a_turn_is_recorded_with_its_cost() -> None:
    completion = Completion("answer", "answer-openai", "managed", "openai/gpt-4.1-mini", 1200, 80)
    gateway = MeteredGateway(Gateway(completion), PRICING)
    assert gateway.health_marker() == "passed through"  # everything else is the gateway's
    await gateway.complete("answer", [])  # outside a turn: nothing to record into
    with metering() as meter:
        await gateway.complete("answer", [])
        await gateway.complete("answer", [])
    assert len(meter.calls) == 2
    assert meter.prompt_tokens == 2400 and meter.completion_tokens == 160
    assert meter.cost_usd == pytest.approx(2 * PRICING.cost("answer-openai", 1200, 80))
    assert meter.summary()["calls"][0]["deployment"] == "answer-openai"


def test_budgets_warn_at_the_soft_limit_and_refuse_at_the_hard_one() -> None:
    policy = BudgetPolicy(Budget(soft_usd=5, hard_usd=10), {"acme": Budget(hard_usd=1)})
    assert policy.assess("harbor", 4.99).state == "ok"
    assert policy.assess("harbor", 5.0).state == "soft_limit"
    assert policy.assess("harbor", 10.0).state == "hard_limit"
    assert policy.assess("acme", 1.0).state == "hard_limit"
    assert BudgetPolicy(Budget()).assess("unlimited", 1e9).state == "ok"
    message = str(BudgetExceeded("acme", policy.assess("acme", 1.25)))
    assert "$1.25 of its $1.00" in message


async def test_every_request_of_a_turn_shares_one_call_budget() -> None:
    class BudgetedGateway(Gateway):
        def __init__(self, completion: Completion) -> None:
            super().__init__(completion)
            self.budgets: list[Any] = []

        def new_turn_budget(self) -> object:
            return object()

        async def complete(self, group: str, messages: Any, **kwargs: Any) -> Completion:
            self.budgets.append(kwargs["turn_budget"])
            return self.completion

    inner = BudgetedGateway(Completion("answer", "answer-openai", "managed", "m", 1, 1))
    gateway = MeteredGateway(inner, PRICING)
    with metering():
        await gateway.complete("triage", [])
        await gateway.complete("answer", [])
    with metering():
        await gateway.complete("answer", [])
    first, second, third = inner.budgets
    assert first is second and third is not first
