"""The price of one model call, in US dollars.

A price in the deployment's `model_info` (`input_cost_per_token`, `output_cost_per_token`)
wins: that is how self-hosted deployments are priced (amortised hardware, say), and how a
negotiated rate overrides the list price. Otherwise LiteLLM's cost map, loaded from the
installed package (LITELLM_LOCAL_MODEL_COST_MAP), prices managed models. A model in
neither is recorded as unpriced rather than guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import litellm

log = logging.getLogger(__name__)


class PricedDeployment(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def model_info(self) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class Rate:
    input_per_token: float
    output_per_token: float
    source: str  # "config" | "litellm" | "unpriced"


class Pricing:
    def __init__(self, deployments: Iterable[PricedDeployment]) -> None:
        self._rates = {d.id: self._rate(d) for d in deployments}

    @staticmethod
    def _rate(deployment: PricedDeployment) -> Rate:
        info = deployment.model_info
        if "input_cost_per_token" in info or "output_cost_per_token" in info:
            return Rate(
                float(info.get("input_cost_per_token", 0.0)),
                float(info.get("output_cost_per_token", 0.0)),
                "config",
            )
        try:
            prompt, completion = litellm.cost_per_token(
                model=deployment.model, prompt_tokens=1_000_000, completion_tokens=1_000_000
            )
        except Exception:  # LiteLLM raises its own error types for unmapped models
            log.info(
                "deployment %s (%s) has no price; recorded as 0", deployment.id, deployment.model
            )
            return Rate(0.0, 0.0, "unpriced")
        return Rate(prompt / 1_000_000, completion / 1_000_000, "litellm")

    def rate(self, deployment_id: str) -> Rate:
        return self._rates.get(deployment_id, Rate(0.0, 0.0, "unpriced"))

    def cost(self, deployment_id: str, prompt_tokens: int, completion_tokens: int) -> float:
        rate = self.rate(deployment_id)
        return prompt_tokens * rate.input_per_token + completion_tokens * rate.output_per_token
