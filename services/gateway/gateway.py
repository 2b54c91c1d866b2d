"""The one door to every model: chat completions, embeddings and their health."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import litellm
import openai

from gateway.completion import Completion, completion_from_response
from gateway.config import GatewayConfig, load_gateway_config
from gateway.custom_providers import register_custom_providers
from gateway.embedder import RouterEmbedder
from gateway.errors import GatewayConfigError, ModelGroupUnavailable
from gateway.health import DeploymentHealth, group_readiness, probe
from gateway.schema import EMBED_GROUP
from knowledge.embedder import Embedder
from supportdesk.config import Settings

logger = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 1.0


class Gateway:
    """A `litellm.Router` over the deployments of `models.yaml`, with the desk's API on top."""

    def __init__(self, config: GatewayConfig, *, default_max_tokens: int) -> None:
        register_custom_providers()
        self._config = config
        self._default_max_tokens = default_max_tokens
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
        self._embedder = RouterEmbedder(self._router, embed[0]) if embed else None

    @property
    def config(self) -> GatewayConfig:
        return self._config

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
    ) -> Completion:
        """Ask `group`, falling back along its chain; `max_tokens` defaults to the desk's cap.

        `metadata` travels with the request to every deployment in the chain but is never
        sent to a provider; the extractive responder reads its sources from it.
        """
        chain = self._config.chain(group)
        if not chain:
            raise ModelGroupUnavailable(group, chain, "no deployment is configured for it")
        try:
            response = await self._router.acompletion(
                model=chain[0],
                messages=[dict(m) for m in messages],  # type: ignore[misc]
                max_tokens=max_tokens or self._default_max_tokens,
                temperature=temperature,
                # A copy: the Router writes its routing state into the dict it is given.
                metadata=dict(metadata or {}),
                # The requested group's chain, passed per request: a group entered
                # further down (triage -> answer-local when no key is set) must not
                # inherit that group's own fallbacks (answer-local -> answer-extractive).
                fallbacks=[{chain[0]: list(chain[1:])}],
            )
        except (openai.APIError, ValueError) as exc:
            # LiteLLM raises openai.APIError subclasses for provider failures and
            # ValueError subclasses when the Router has no deployment left to try.
            reason = next(iter(str(exc).splitlines()), type(exc).__name__)
            raise ModelGroupUnavailable(group, chain, reason) from exc
        completion = completion_from_response(response, self._config, group, chain[0])
        if completion.fallbacks_used:
            logger.warning(
                "group %s fell back from %s to %s", group, chain[0], completion.model_group
            )
        return completion

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


def build_gateway(settings: Settings) -> Gateway:
    return Gateway(load_gateway_config(settings), default_max_tokens=settings.answer_max_tokens)
