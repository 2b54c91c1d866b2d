"""`models.yaml` turned into what the Router runs: the active deployments and each group's chain.

Three rules, applied once at start-up:
- a deployment whose `os.environ/VAR` reference is unset is dropped, so a managed provider
  is active exactly when its key is set;
- a group left without deployments is removed, and a request for it enters its fallback
  chain at the first group that still has deployments;
- `EMBEDDING_MODEL`, when it names anything but the in-process model, replaces the one
  deployment of the `embed` group.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import litellm
import yaml
from pydantic import ValidationError

from gateway.env_refs import environment, resolve_params
from gateway.errors import GatewayConfigError, UnknownModelGroup
from gateway.schema import (
    EMBED_GROUP,
    DeploymentSpec,
    ModelInfoSpec,
    ModelsFile,
    ServingTier,
    describe,
)
from supportdesk.config import Settings

logger = logging.getLogger(__name__)

LOCAL_EMBEDDING_MODEL = "local/all-MiniLM-L6-v2"


@dataclass(frozen=True)
class Deployment:
    id: str
    group: str
    tier: ServingTier
    model: str
    api_base: str | None
    dimension: int | None
    # Holds resolved provider keys: kept out of repr so logs and tracebacks never show them.
    litellm_params: Mapping[str, Any] = field(repr=False)
    model_info: Mapping[str, Any] = field(repr=False)

    def router_entry(self) -> dict[str, Any]:
        return {
            "model_name": self.group,
            "litellm_params": dict(self.litellm_params),
            "model_info": dict(self.model_info),
        }


@dataclass(frozen=True)
class DroppedDeployment:
    id: str
    group: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class GatewayConfig:
    source: Path
    deployments: tuple[Deployment, ...]
    # Every group models.yaml declares, active or not -> the active groups to try, in order.
    chains: Mapping[str, tuple[str, ...]]
    router_settings: Mapping[str, Any]
    dropped: tuple[DroppedDeployment, ...] = ()
    # Group -> active groups with a larger context window, tried when its prompt is too long.
    context_window_chains: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    max_calls_per_request: int = 6
    max_calls_per_turn: int = 8
    max_concurrent_calls: int = 32

    @property
    def groups(self) -> list[str]:
        """Groups that still have deployments, in declaration order."""
        return list(dict.fromkeys(d.group for d in self.deployments))

    def chain(self, group: str) -> tuple[str, ...]:
        if group not in self.chains:
            raise UnknownModelGroup(group, list(self.chains))
        return self.chains[group]

    def in_group(self, group: str) -> list[Deployment]:
        return [d for d in self.deployments if d.group == group]

    def self_hosted(self, group: str) -> bool:
        """Whether every deployment of `group` is a model we run: it may read personal data."""
        deployments = self.in_group(group)
        return bool(deployments) and all(d.tier == "self-hosted" for d in deployments)

    @property
    def model_free_groups(self) -> frozenset[str]:
        """Groups that call no model at all (plain code): they spend no tokens."""
        return frozenset(
            group
            for group in self.groups
            if all(d.tier == "deterministic" for d in self.in_group(group))
        )

    def capacity(self, group: str) -> int | None:
        """Calls `group` takes at once from this process; None for plain code (no limit)."""
        callers = [d for d in self.in_group(group) if d.tier != "deterministic"]
        if not callers:
            return None
        return sum(
            int(d.model_info.get("max_concurrent") or self.max_concurrent_calls) for d in callers
        )

    def by_id(self, deployment_id: str) -> Deployment:
        for deployment in self.deployments:
            if deployment.id == deployment_id:
                return deployment
        raise KeyError(deployment_id)

    def retries(self, group: str) -> int:
        """Retries the Router makes inside `group`: a deployment's own `num_retries` wins."""
        own = [d.litellm_params.get("num_retries") for d in self.in_group(group)]
        set_here = [int(n) for n in own if n is not None]
        return max(set_here) if set_here else int(self.router_settings.get("num_retries", 0))

    def timeouts(self, group: str) -> tuple[float | None, float | None]:
        """The longest (`timeout`, `stream_timeout`) of the group's deployments, if set."""

        def longest(key: str) -> float | None:
            values = [
                float(d.litellm_params[key])
                for d in self.in_group(group)
                if key in d.litellm_params
            ]
            return max(values) if values else None

        timeout = longest("timeout")
        return timeout, longest("stream_timeout") or timeout

    def router_fallbacks(self) -> list[dict[str, list[str]]]:
        """The chains of active groups in LiteLLM's `fallbacks` format."""
        return [
            {group: list(chain[1:])}
            for group, chain in self.chains.items()
            if chain and chain[0] == group and len(chain) > 1
        ]


def read_models_file(path: Path) -> ModelsFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GatewayConfigError(f"{path}: cannot read the gateway config: {exc}") from exc
    except yaml.YAMLError as exc:
        raise GatewayConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise GatewayConfigError(f"{path}: expected a mapping with model_list and router_settings")
    try:
        return ModelsFile.model_validate(raw)
    except ValidationError as exc:
        raise GatewayConfigError(f"{path}: {describe(exc)}") from exc


def load_gateway_config(
    settings: Settings, environ: Mapping[str, str] | None = None
) -> GatewayConfig:
    path = settings.resolved_gateway_config
    spec = read_models_file(path)
    env = environ if environ is not None else environment(settings)
    specs = _with_embedding_model(spec.model_list, settings.embedding_model, path)

    deployments: list[Deployment] = []
    dropped: list[DroppedDeployment] = []
    for item in specs:
        params, missing = resolve_params(item.litellm_params, env)
        if missing:
            dropped.append(DroppedDeployment(item.model_info.id, item.model_name, tuple(missing)))
            logger.info("deployment %s inactive: %s unset", item.model_info.id, ", ".join(missing))
            continue
        deployments.append(_deployment(item, params, settings.model_timeout_s))

    active = {d.group for d in deployments}
    fallbacks = spec.router_settings.fallback_map()
    chains = {
        group: tuple(dict.fromkeys(g for g in (group, *fallbacks.get(group, ())) if g in active))
        for group in dict.fromkeys(item.model_name for item in specs)
    }
    for group, chain in chains.items():
        if group not in active:
            logger.info("group %s has no deployments; requests enter at %s", group, chain or None)

    window_chains = {
        group: tuple(g for g in chain if g in active)
        for group, chain in spec.router_settings.context_window_map().items()
        if group in active
    }
    # The gateway walks the chains itself (gateway.py says why); LiteLLM gets the rest.
    gateway_only = {"fallbacks", "context_window_fallbacks"}
    router_settings = spec.router_settings.model_dump(exclude=gateway_only, exclude_none=True)
    return GatewayConfig(
        path,
        tuple(deployments),
        chains,
        router_settings,
        tuple(dropped),
        context_window_chains=window_chains,
        max_calls_per_request=spec.gateway.max_calls_per_request,
        max_calls_per_turn=spec.gateway.max_calls_per_turn,
        max_concurrent_calls=spec.gateway.max_concurrent_calls,
    )


def _deployment(item: DeploymentSpec, params: dict[str, Any], timeout_s: float) -> Deployment:
    tier = item.model_info.serving_tier
    api_base = params.get("api_base")
    if tier == "managed" or api_base is not None:
        # Anything that crosses a network gets the desk-wide timeout unless the YAML sets one.
        params.setdefault("timeout", timeout_s)
    return Deployment(
        id=item.model_info.id,
        group=item.model_name,
        tier=tier,
        model=params["model"],
        api_base=api_base,
        dimension=item.model_info.dimension,
        litellm_params=params,
        model_info=item.model_info.model_dump(exclude_none=True),
    )


def _with_embedding_model(
    specs: list[DeploymentSpec], embedding_model: str, path: Path
) -> list[DeploymentSpec]:
    if embedding_model == LOCAL_EMBEDDING_MODEL:
        return specs
    if not embedding_model.strip():
        raise GatewayConfigError(f"{path}: EMBEDDING_MODEL is empty")
    missing = litellm.validate_environment(model=embedding_model).get("missing_keys") or []
    if missing:
        logger.warning("EMBEDDING_MODEL=%s may need %s", embedding_model, ", ".join(missing))
    replacement = DeploymentSpec(
        model_name=EMBED_GROUP,
        litellm_params={"model": embedding_model},
        model_info=ModelInfoSpec(
            id=f"{EMBED_GROUP}-{embedding_model.replace('/', '-')}",
            serving_tier="managed",
            dimension=_known_dimension(embedding_model),
        ),
    )
    return [replacement if s.model_name == EMBED_GROUP else s for s in specs]


def _known_dimension(model: str) -> int | None:
    """LiteLLM's model map records the vector width of the embedding models it prices."""
    try:
        size = litellm.get_model_info(model).get("output_vector_size")
    except Exception:  # LiteLLM raises a bare Exception for models missing from its map.
        return None
    return size if isinstance(size, int) else None
