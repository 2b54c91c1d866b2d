"""The shape of `models.yaml`: LiteLLM's `model_list` and `router_settings`, checked up front.

LiteLLM would accept most mistakes here and fail on the first request instead; validating
at start-up turns a typo into an error that names the file and the field.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ServingTier = Literal["managed", "self-hosted", "deterministic"]

# Vectors from two embedding models cannot share a collection, so this group must not
# load-balance: it holds exactly one deployment.
EMBED_GROUP = "embed"


class ModelInfoSpec(BaseModel):
    # LiteLLM's own ModelInfo already has a `tier` field (Literal["free", "paid"]), so the
    # desk's label lives under `serving_tier`; other keys pass through to LiteLLM.
    model_config = ConfigDict(extra="allow")

    id: str = Field(min_length=1)
    serving_tier: ServingTier
    dimension: int | None = Field(
        default=None, gt=0, description="Embedding width, for `embed` only."
    )
    max_concurrent: int | None = Field(
        default=None,
        gt=0,
        description="Calls one desk process sends this deployment at once; a group whose "
        "deployments are all full is skipped like a failed one (gateway.saturation).",
    )


class DeploymentSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_name: str = Field(min_length=1, description="The model group this deployment serves.")
    litellm_params: dict[str, Any]
    model_info: ModelInfoSpec

    @field_validator("litellm_params")
    @classmethod
    def _names_a_model(cls, params: dict[str, Any]) -> dict[str, Any]:
        model = params.get("model")
        if not isinstance(model, str) or not model:
            raise ValueError("needs `model`, e.g. 'openai/gpt-4.1-mini'")
        return params


class RouterSettingsSpec(BaseModel):
    # Any other litellm.Router argument (routing_strategy, retry_after, ...) passes through.
    model_config = ConfigDict(extra="allow")

    fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    context_window_fallbacks: list[dict[str, list[str]]] = Field(default_factory=list)
    num_retries: int = Field(default=1, ge=0)
    allowed_fails: int | None = Field(default=None, ge=0)
    cooldown_time: float | None = Field(default=None, ge=0)

    def fallback_map(self) -> dict[str, list[str]]:
        return {group: chain for entry in self.fallbacks for group, chain in entry.items()}

    def context_window_map(self) -> dict[str, list[str]]:
        return {g: chain for entry in self.context_window_fallbacks for g, chain in entry.items()}


class GatewaySettingsSpec(BaseModel):
    """The gateway's own settings, kept apart so `router_settings` stays LiteLLM's format."""

    model_config = ConfigDict(extra="forbid")

    # Provider calls one request may make, retries and fallbacks included.
    max_calls_per_request: int = Field(default=6, ge=1)
    # Provider calls one customer turn may make across all its requests (triage, answer,
    # summary); deterministic groups do not count, so the last resort always answers.
    max_calls_per_turn: int = Field(default=8, ge=1)
    # Calls in flight per deployment and process, where `model_info.max_concurrent` is not
    # set. A saturated tier is skipped rather than queued for: the chain's next group (in
    # the end the extractive responder) answers now instead of late.
    max_concurrent_calls: int = Field(default=32, ge=1)


class ModelsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_list: list[DeploymentSpec] = Field(min_length=1)
    router_settings: RouterSettingsSpec = Field(default_factory=RouterSettingsSpec)
    gateway: GatewaySettingsSpec = Field(default_factory=GatewaySettingsSpec)

    @model_validator(mode="after")
    def _consistent(self) -> ModelsFile:
        ids = [d.model_info.id for d in self.model_list]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"model_info.id must be unique; repeated: {', '.join(duplicates)}")

        groups = {d.model_name for d in self.model_list}
        settings = self.router_settings
        for name, entries in (
            ("fallbacks", settings.fallbacks),
            ("context_window_fallbacks", settings.context_window_fallbacks),
        ):
            _check_chains(name, entries, groups)

        embed = [d for d in self.model_list if d.model_name == EMBED_GROUP]
        if len(embed) != 1:
            raise ValueError(
                f"group {EMBED_GROUP!r} needs exactly one deployment, has {len(embed)}"
            )
        return self


def _check_chains(name: str, entries: list[dict[str, list[str]]], groups: set[str]) -> None:
    seen: set[str] = set()
    for entry in entries:
        for group, chain in entry.items():
            if group in seen:
                raise ValueError(f"{name} list {group!r} twice; give each group one chain")
            seen.add(group)
            unknown = [g for g in (group, *chain) if g not in groups]
            if unknown:
                raise ValueError(f"{name} for {group!r} name undeclared groups: {unknown}")
            if group in chain:
                raise ValueError(f"{name} for {group!r} list the group itself")


def describe(error: ValidationError) -> str:
    """One line per problem, located like `model_list[3].model_info.serving_tier`."""
    lines = []
    for problem in error.errors():
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in problem["loc"])
        lines.append(f"{where.lstrip('.') or '(top level)'}: {problem['msg']}")
    return "; ".join(lines)
