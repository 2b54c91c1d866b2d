"""The one door to every model: chat completions, embeddings and their health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import replace
from typing import Any

import httpx
import litellm
import openai
from opentelemetry.propagate import inject

from gateway.attempts import CallBudget, ChainWalk
from gateway.completion import Completion, completion_from_response
from gateway.config import GatewayConfig, load_gateway_config
from gateway.custom_providers import register_custom_providers
from gateway.embedder import gateway_embedder
from gateway.errors import DeadlineExceeded, GatewayConfigError, ModelGroupUnavailable
from gateway.health import DeploymentHealth, group_readiness, probe
from gateway.redaction import redact_messages
from gateway.saturation import GroupSlots
from gateway.schema import EMBED_GROUP
from gateway.stream_events import StreamCompleted, StreamEvent
from gateway.streaming import EmptyStream, first_text, relay
from knowledge.embedder import Embedder
from supportdesk.config import Settings
from telemetry import names
from telemetry.genai import attempt_span, fell_back

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 1.0

# What a failing group raises through the Router: openai.APIError subclasses for provider
# failures (malformed bodies and cut connections included), ValueError subclasses when
# every deployment of the group is cooling down.
FAILOVER_ERRORS = (openai.APIError, ValueError)


class Gateway:
    """A `litellm.Router` over the deployments of `models.yaml`, with the desk's API on top."""

    def __init__(
        self,
        config: GatewayConfig,
        *,
        default_max_tokens: int,
        redact_allow: Iterable[str] = (),
    ) -> None:
        """`redact_allow`: the bank's own published numbers and addresses, which are kept
        when personal data is masked for deployments we do not host (gateway.redaction)."""
        register_custom_providers()
        # Retries are the Router's job, counted against the per-turn call budget. LiteLLM's
        # OpenAI embedding path reads `max_retries or DEFAULT_MAX_RETRIES`, so the Router's
        # max_retries=0 becomes the SDK's 2 and one embedding became up to 6 requests
        # (tests/test_gateway_embedding_faults.py). Chat calls already pass 0 through.
        litellm.DEFAULT_MAX_RETRIES = 0  # type: ignore[misc]
        self._config = config
        self._slots = GroupSlots(config)
        self._default_max_tokens = default_max_tokens
        self._redact_allow = tuple(redact_allow)
        try:
            self._router = litellm.Router(
                model_list=[d.router_entry() for d in config.deployments],
                fallbacks=config.router_fallbacks(),
                **config.router_settings,
            )
        except (TypeError, ValueError) as exc:
            raise GatewayConfigError(f"{config.source}: LiteLLM rejected it: {exc}") from exc
        self._http = httpx.AsyncClient(timeout=HEALTH_TIMEOUT_S)
        embed = config.in_group(EMBED_GROUP)
        self._embedder = (
            gateway_embedder(self._router, embed[0], redact_allow=self._redact_allow)
            if embed
            else None
        )

    @property
    def config(self) -> GatewayConfig:
        return self._config

    @property
    def default_max_tokens(self) -> int:
        """What a completion may generate when the caller does not say."""
        return self._default_max_tokens

    @property
    def router(self) -> litellm.Router:
        """The underlying Router, for integrations that take one (e.g. LangChain's)."""
        return self._router

    async def complete(
        self,
        group: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
        metadata: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        private: bool = False,
        turn_budget: CallBudget | None = None,
    ) -> Completion:
        """Ask `group`, falling back along its chain; `max_tokens` defaults to the desk's cap.

        `metadata` travels with the request to every deployment in the chain but is never
        sent to a provider; the extractive responder reads its sources from it.
        `deadline` is a `time.monotonic()` value for the whole turn: every call's timeout
        is capped by what is left, and DeadlineExceeded is raised once nothing is.
        `private` marks a request whose tenant requires it (`PRIVATE_TENANTS`), or that is
        a transcript: it only ever goes to self-hosted or deterministic deployments. Any
        other request may reach a managed deployment, with its personal data masked for
        that hop only (gateway.redaction).
        `turn_budget` (from `new_turn_budget()`) is shared by all requests of one turn.
        """
        walk = self._walk(group, deadline, private, turn_budget)
        while (step := walk.next_hop(stream=False)) is not None:
            hop, settings = step
            with attempt_span(hop, len(walk.tried), settings) as attempt:
                try:
                    # The backstop for what per-call timeouts miss, e.g. a Retry-After sleep.
                    async with asyncio.timeout(walk.seconds_left()):
                        response = await self._router.acompletion(
                            **self._request(hop, messages, max_tokens, temperature, metadata),
                            **settings,
                        )
                except TimeoutError:
                    raise DeadlineExceeded(group, tuple(walk.tried)) from None
                except FAILOVER_ERRORS as exc:
                    walk.failed(hop, exc)
                    fell_back(attempt, group, hop, exc)
                    continue
                finally:
                    self._slots.release(hop)
                completion = saturated(
                    completion_from_response(response, self._config, group, walk.entry), walk
                )
                attempt.set_attribute(names.DEPLOYMENT, completion.deployment)
            if completion.fallbacks_used:
                logger.warning("group %s fell back from %s to %s", group, walk.entry, hop)
            return completion
        raise walk.unavailable()

    async def stream(
        self,
        group: str,
        messages: list[dict[str, str]],
        *,
        max_tokens: int | None = None,
        temperature: float = 0.2,
        metadata: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        private: bool = False,
        turn_budget: CallBudget | None = None,
    ) -> AsyncIterator[StreamEvent]:
        """Stream `group`'s answer: TextDelta events, then StreamCompleted or StreamFailed.

        A group that fails before its first text is skipped unseen and the next group of
        the chain streams instead. A failure after text has been yielded ends the stream
        with one StreamFailed. When every group fails before any text this raises, like
        `complete`, ModelGroupUnavailable or DeadlineExceeded. The deadline bounds the
        wait for the first text; once text flows, `stream_timeout` bounds each gap.
        """
        walk = self._walk(group, deadline, private, turn_budget)
        while (step := walk.next_hop(stream=True)) is not None:
            hop, settings = step
            stream: Any = None
            # The attempt's span lasts until the first text: what the failover decides on.
            with attempt_span(hop, len(walk.tried), settings) as attempt:
                try:
                    async with asyncio.timeout(walk.seconds_left()):
                        stream = await self._router.acompletion(
                            **self._request(hop, messages, max_tokens, temperature, metadata),
                            **settings,
                            stream=True,
                            stream_options={"include_usage": True},
                        )
                        reading, first = await first_text(stream)
                except TimeoutError:
                    await _close(stream)
                    self._slots.release(hop)
                    raise DeadlineExceeded(group, tuple(walk.tried)) from None
                except (*FAILOVER_ERRORS, EmptyStream) as exc:
                    await _close(stream)
                    self._slots.release(hop)
                    walk.failed(hop, exc)
                    fell_back(attempt, group, hop, exc)
                    continue
                except BaseException:
                    self._slots.release(hop)
                    raise
            try:
                relayed = relay(reading, first, self._config, group, walk.entry)
                async with aclosing(relayed) as events:
                    async for event in events:
                        if isinstance(event, StreamCompleted):
                            event = replace(event, completion=saturated(event.completion, walk))
                        yield event
            finally:
                self._slots.release(hop)
                await _close(stream)
            return
        raise walk.unavailable()

    def _walk(
        self, group: str, deadline: float | None, private: bool, turn_budget: CallBudget | None
    ) -> ChainWalk:
        return ChainWalk(
            self._config,
            group,
            deadline,
            private=private,
            turn_budget=turn_budget,
            slots=self._slots,
        )

    def _request(
        self,
        group: str,
        messages: list[dict[str, str]],
        max_tokens: int | None,
        temperature: float,
        metadata: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        sent = [dict(m) for m in messages]
        if not self._config.self_hosted(group):
            sent, kinds = redact_messages(messages, self._redact_allow)
            if kinds:
                logger.info("masked %s in the request to group %s", ", ".join(kinds), group)
        request = {
            "model": group,
            "messages": sent,
            "max_tokens": max_tokens or self._default_max_tokens,
            "temperature": temperature,
            # A copy: the Router writes its routing state into the dict it is given.
            "metadata": dict(metadata or {}),
            # The gateway walks the chain itself (ChainWalk), so the Router must not also
            # fall back: it would spend calls outside the budget and past the deadline.
            "fallbacks": [],
        }
        # The attempt's trace context, as W3C `traceparent`: a model server or proxy that
        # traces (vLLM, the LiteLLM Proxy, a collector-fronted gateway) joins the turn's trace.
        carrier: dict[str, str] = {}
        inject(carrier)
        if carrier:
            request["extra_headers"] = carrier
        return request

    def new_turn_budget(self) -> CallBudget:
        """Provider calls one customer turn may make (`max_calls_per_turn` in models.yaml)."""
        return CallBudget(self._config.max_calls_per_turn)

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            raise ModelGroupUnavailable(EMBED_GROUP, (), "no embedding deployment is configured")
        return self._embedder

    async def health(self) -> list[DeploymentHealth]:
        return list(await asyncio.gather(*(probe(d, self._http) for d in self._config.deployments)))

    def group_readiness(self, health: Sequence[DeploymentHealth]) -> dict[str, bool]:
        """Per declared group, whether its chain still has a deployment that is not down."""
        return group_readiness(self._config.chains, health)

    async def aclose(self) -> None:
        # LiteLLM caches provider HTTP clients process-wide and closes them at exit;
        # what this gateway owns is its Router's callbacks and the probe client.
        self._router.discard()
        await self._http.aclose()


async def _close(stream: Any) -> None:
    """Release a LiteLLM stream's connection, whether it was read to the end or not."""
    close = getattr(stream, "aclose", None)
    if close is not None:
        try:
            await close()
        except Exception:  # closing a broken stream may raise again; it is gone either way
            logger.debug("closing a stream failed", exc_info=True)


def build_gateway(settings: Settings) -> Gateway:
    return Gateway(
        load_gateway_config(settings),
        default_max_tokens=settings.answer_max_tokens,
        redact_allow=settings.pii_allowed,
    )


def saturated(completion: Completion, walk: ChainWalk) -> Completion:
    """The completion, naming the groups skipped on the way because they were full."""
    return replace(completion, saturated=tuple(walk.saturated)) if walk.saturated else completion
