"""Recording each model call of a turn, without the agents having to remember to.

The turn's meter lives in a context variable set around the graph run; LangGraph runs
nodes in tasks that copy the context, so every node sees the same meter object.

The meter also bounds the turn: once its calls have used `max_tokens_per_turn` tokens
(prompt and completion), a further model call is refused with `TurnTokensSpent`, a
`ModelGroupUnavailable`, so each agent falls back as it does when models are down; and
every call's own `max_tokens` is clamped to what the turn has left. Groups that call no
model (the extractive responder) are never refused: they spend no tokens.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Collection, Iterator, Mapping, Sequence
from contextlib import aclosing, contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from accounting.pricing import Pricing
from gateway.errors import GatewayError, ModelGroupUnavailable
from telemetry.genai import chat_span, describe_call

log = logging.getLogger(__name__)


class TurnTokensSpent(ModelGroupUnavailable):
    """The turn has used its token cap; the call was not made."""

    def __init__(self, group: str, used: int, cap: int) -> None:
        GatewayError.__init__(
            self,
            f"model group {group!r} not called: the turn has used {used} of its "
            f"{cap} tokens (MAX_TOKENS_PER_TURN)",
        )
        self.group = group
        self.chain = ()
        self.used = used
        self.cap = cap


class CompletionLike(Protocol):
    @property
    def model_group(self) -> str: ...

    @property
    def deployment(self) -> str: ...

    @property
    def tier(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def completion_tokens(self) -> int: ...


class CompletingGateway(Protocol):
    async def complete(self, group: str, messages: list[dict[str, str]], **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class ModelCall:
    group: str
    deployment: str
    tier: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


@dataclass
class TurnMeter:
    calls: list[ModelCall] = field(default_factory=list)
    avoided_usd: float = 0.0  # what a cache hit saved, priced as the answer it replayed
    cache_hits: int = 0
    # The gateway's per-turn call budget, shared by every request of the turn.
    call_budget: Any = None
    refused: list[str] = field(default_factory=list)  # groups not called: tokens spent

    def record_cache_hit(self, avoided_usd: float) -> None:
        self.cache_hits += 1
        self.avoided_usd += avoided_usd

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls)

    def summary(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": round(self.cost_usd, 8),
            "avoided_usd": round(self.avoided_usd, 8),
            "cache_hits": self.cache_hits,
            "calls": [asdict(c) for c in self.calls],
            "refused_for_tokens": list(self.refused),
        }


_current: ContextVar[TurnMeter | None] = ContextVar("turn_meter", default=None)


def current_meter() -> TurnMeter | None:
    return _current.get()


def start_turn_meter() -> TurnMeter:
    """Meters the rest of the current task: a turn is one request, so one task.

    Not reset afterwards on purpose: a streamed turn is a generator, and one a client
    abandons is finalised later, from a context that cannot reset what this one set.
    """
    meter = TurnMeter()
    _current.set(meter)
    return meter


@contextmanager
def metering() -> Iterator[TurnMeter]:
    meter = TurnMeter()
    token = _current.set(meter)
    try:
        yield meter
    finally:
        _current.reset(token)


class MeteredGateway:
    """The gateway as the agents see it: the same calls, each one priced and recorded.

    `max_tokens_per_turn` (None: no cap) bounds each turn's calls; `model_free_groups`
    are groups that call no model and so are never refused.
    """

    def __init__(
        self,
        gateway: Any,
        pricing: Pricing,
        *,
        max_tokens_per_turn: int | None = None,
        model_free_groups: Collection[str] = (),
    ) -> None:
        self._gateway = gateway
        self._pricing = pricing
        self._cap = max_tokens_per_turn
        self._model_free = frozenset(model_free_groups)

    @property
    def inner(self) -> Any:
        """The unmetered gateway, for what is not a model call (health, embeddings)."""
        return self._gateway

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)

    async def complete(
        self,
        group: str,
        messages: Sequence[Mapping[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
        metadata: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        with chat_span(group, max_tokens, temperature) as traced:
            meter = self._share_turn_budget(kwargs)
            completion = await self._gateway.complete(
                group,
                messages,
                max_tokens=self._allowance(group, meter, max_tokens),
                temperature=temperature,
                metadata=metadata,
                **kwargs,
            )
            call = self.price(completion)
            describe_call(traced, call, completion)
        if meter is not None:
            meter.calls.append(call)
        return completion

    async def stream(
        self,
        group: str,
        messages: Sequence[Mapping[str, str]],
        **kwargs: Any,
    ) -> AsyncIterator[Any]:
        """`Gateway.stream`, with the completed answer priced and recorded like `complete`.

        A stream that fails after its first text is not recorded: the provider reported
        no usage for it, and a guess would make the ledger look exact when it is not.
        """
        with chat_span(group, kwargs.get("max_tokens"), kwargs.get("temperature")) as traced:
            meter = self._share_turn_budget(kwargs)
            kwargs["max_tokens"] = self._allowance(group, meter, kwargs.get("max_tokens"))
            async with aclosing(self._gateway.stream(group, messages, **kwargs)) as events:
                async for event in events:
                    completion = getattr(event, "completion", None)
                    if completion is not None:
                        call = self.price(completion)
                        describe_call(traced, call, completion)
                        if meter is not None:
                            meter.calls.append(call)
                    yield event

    def _share_turn_budget(self, kwargs: dict[str, Any]) -> TurnMeter | None:
        """Every request of a turn draws on one provider-call budget, made on first use."""
        meter = _current.get()
        if meter is not None and hasattr(self._gateway, "new_turn_budget"):
            if meter.call_budget is None:
                meter.call_budget = self._gateway.new_turn_budget()
            kwargs.setdefault("turn_budget", meter.call_budget)
        return meter

    def _allowance(self, group: str, meter: TurnMeter | None, max_tokens: int | None) -> int | None:
        """The call's `max_tokens`, clamped to what the turn has left; raises when nothing is.

        The check is made before each call, so a turn can pass its cap by at most the
        prompt of its last call (whose size is only known once the provider counts it).
        """
        if meter is None or self._cap is None or group in self._model_free:
            return max_tokens
        left = self._cap - meter.tokens
        if left <= 0:
            meter.refused.append(group)
            log.warning("group %s refused: the turn has used %d tokens", group, meter.tokens)
            raise TurnTokensSpent(group, meter.tokens, self._cap)
        wanted = max_tokens or getattr(self._gateway, "default_max_tokens", None)
        return min(wanted, left) if wanted else left

    def price(self, completion: CompletionLike) -> ModelCall:
        return ModelCall(
            group=completion.model_group,
            deployment=completion.deployment,
            tier=completion.tier,
            model=completion.model,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost_usd=self._pricing.cost(
                completion.deployment, completion.prompt_tokens, completion.completion_tokens
            ),
        )
