"""A hosted embedding model (the fake upstream) failing: retried where it helps, then a
clear ModelGroupUnavailable, never a crash or a silent wrong vector; and the desk's answer
to that (tests/test_agents.py::test_a_dead_embedding_model_degrades_the_turn)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest

from gateway import Gateway, ModelGroupUnavailable
from gateway.config import load_gateway_config
from supportdesk.config import Settings
from tests.support.fake_upstream import (
    EMBEDDING_DIMENSION,
    Behaviour,
    FakeUpstream,
    Script,
    running_fake_upstream,
    unused_url,
)

TEXTS = ["How do I freeze my card?", "International transfer fees"]


def embed_only_yaml(url: str) -> str:
    return f"""
model_list:
  - model_name: answer-extractive
    litellm_params: {{model: extractive/responder}}
    model_info: {{id: answer-extractive, serving_tier: deterministic}}
  - model_name: embed
    litellm_params:
      model: openai/fake-embedding
      api_base: {url}
      api_key: fake-key
      timeout: 1
    model_info: {{id: embed-hosted, serving_tier: managed, dimension: {EMBEDDING_DIMENSION}}}
router_settings:
  num_retries: 1
  retry_after: 0
  allowed_fails: 1
  cooldown_time: 15
"""


@asynccontextmanager
async def hosted_embeddings(
    tmp_path: Path, script: Script
) -> AsyncIterator[tuple[Gateway, FakeUpstream]]:
    async with running_fake_upstream(script) as upstream:
        path = tmp_path / "models.yaml"
        path.write_text(embed_only_yaml(upstream.url))
        gateway = Gateway(
            load_gateway_config(Settings(gateway_config=path), environ={}), default_max_tokens=8
        )
        try:
            yield gateway, upstream
        finally:
            await gateway.aclose()


def embedding_calls(upstream: FakeUpstream) -> int:
    return len(upstream.calls("/v1/embeddings"))


async def test_healthy_hosted_embeddings_are_unit_vectors(tmp_path: Path) -> None:
    async with hosted_embeddings(tmp_path, Script()) as (gateway, upstream):
        vectors = await gateway.embedder.embed(TEXTS)
    assert vectors.shape == (2, EMBEDDING_DIMENSION)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedding_calls(upstream) == 1


@pytest.mark.parametrize("fault", ["429", "500", "503"])
async def test_one_transient_failure_is_retried(tmp_path: Path, fault: str) -> None:
    script = Script(then=[Behaviour(fault, retry_after_s=0)])  # type: ignore[arg-type]
    async with hosted_embeddings(tmp_path, script) as (gateway, upstream):
        vectors = await gateway.embedder.embed(TEXTS)
    assert vectors.shape == (2, EMBEDDING_DIMENSION)
    assert embedding_calls(upstream) == 2


@pytest.mark.parametrize("fault", ["500", "malformed", "hang"])
async def test_a_lasting_failure_is_a_bounded_model_group_unavailable(
    tmp_path: Path, fault: str
) -> None:
    script = Script(otherwise=Behaviour(fault))  # type: ignore[arg-type]
    async with hosted_embeddings(tmp_path, script) as (gateway, upstream):
        with pytest.raises(ModelGroupUnavailable) as raised:
            await gateway.embedder.embed(TEXTS)
    assert raised.value.group == "embed"
    assert 1 <= embedding_calls(upstream) <= 2  # the call and at most its one retry


async def test_a_refused_connection_is_model_group_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "models.yaml"
    path.write_text(embed_only_yaml(unused_url()))
    gateway = Gateway(
        load_gateway_config(Settings(gateway_config=path), environ={}), default_max_tokens=8
    )
    try:
        with pytest.raises(ModelGroupUnavailable):
            await gateway.embedder.embed(TEXTS)
    finally:
        await gateway.aclose()
