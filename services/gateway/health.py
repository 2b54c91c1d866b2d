"""Deployment health for `/readyz`, probed without spending money or waiting on a model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import httpx

from gateway.config import Deployment
from gateway.schema import ServingTier

Status = Literal["ok", "down", "configured"]


@dataclass(frozen=True)
class DeploymentHealth:
    id: str
    group: str
    tier: ServingTier
    # ok: answered a probe, or runs in this process. down: a self-hosted server did not
    # answer. configured: a managed API with its key set; not probed, a probe costs money.
    status: Status
    detail: str | None = None


async def probe(deployment: Deployment, client: httpx.AsyncClient) -> DeploymentHealth:
    def health(status: Status, detail: str | None = None) -> DeploymentHealth:
        return DeploymentHealth(deployment.id, deployment.group, deployment.tier, status, detail)

    if deployment.tier == "managed":
        return health("configured")
    if deployment.api_base is None:
        return health("ok")  # in-process or deterministic: up whenever this process is
    # /models is the cheapest OpenAI-compatible route: it lists models, generates nothing.
    url = f"{deployment.api_base.rstrip('/')}/models"
    key = deployment.litellm_params.get("api_key")
    headers = {"Authorization": f"Bearer {key}"} if isinstance(key, str) else {}
    try:
        response = await client.get(url, headers=headers)
    except httpx.HTTPError as exc:
        return health("down", f"{type(exc).__name__} from {url}")
    if response.status_code != httpx.codes.OK:
        return health("down", f"HTTP {response.status_code} from {url}")
    return health("ok")


def group_readiness(
    chains: Mapping[str, Sequence[str]], health: Sequence[DeploymentHealth]
) -> dict[str, bool]:
    """Whether each declared group can still answer: some group in its chain is not down."""
    usable = {h.group for h in health if h.status != "down"}
    return {group: any(g in usable for g in chain) for group, chain in chains.items()}
