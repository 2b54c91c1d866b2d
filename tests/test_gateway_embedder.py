"""Embeddings through the Router's `embed` group."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import litellm
import numpy as np
import pytest
from litellm import CustomLLM
from litellm.types.utils import EmbeddingResponse

from gateway import GatewayConfigError, build_gateway
from gateway.embedding_provider import shared_local_embedder
from knowledge.embedder import Embedder, LocalEmbedder
from supportdesk.config import Settings

TEXTS = ["How do I freeze my card?", "International transfer fees", "Report a stolen card"]


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EMBEDDING_MODEL", raising=False)


async def test_in_process_embedder_is_called_in_process_and_serves_the_router_too() -> None:
    gateway = build_gateway(Settings())
    embedder: Embedder = gateway.embedder
    try:
        vectors = await embedder.embed(TEXTS)
        empty = await embedder.embed([])
        # The Proxy's path (ADR 0009): the same model as a LiteLLM provider.
        response = await gateway.router.aembedding(model="embed", input=TEXTS)
    finally:
        await gateway.aclose()

    assert embedder is shared_local_embedder()
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    routed = np.asarray([row["embedding"] for row in response.data], dtype=np.float32)
    np.testing.assert_allclose(routed, vectors, atol=1e-6)
    assert empty.shape == (0, 384)


def test_onnx_runtime_gives_the_vectors_sentence_transformers_gives(tmp_path: Path) -> None:
    texts = [*TEXTS, "", "a " * 400, "ünïcode and emoji 🙂"]
    onnx = LocalEmbedder(cache_dir=tmp_path)
    reference = LocalEmbedder(onnx=False)

    vectors = onnx.encode(texts)

    assert onnx.backend == "onnx"
    assert reference.encode(texts).shape == vectors.shape
    np.testing.assert_allclose(vectors, reference.encode(texts), atol=1e-5)
    assert reference.backend == "torch"
    assert [path.suffix for path in tmp_path.iterdir()] == [".onnx"]  # exported once, kept


def test_without_a_writable_cache_the_embedder_falls_back_to_torch(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    embedder = LocalEmbedder(cache_dir=blocked / "cache")

    vectors = embedder.encode(TEXTS)

    assert embedder.backend == "torch"
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


class UnnormalisedEmbeddings(CustomLLM):
    """A hosted model that returns vectors of length 3 along (3, 4, 0)."""

    async def aembedding(
        self,
        model: str,
        input: list[Any],
        model_response: EmbeddingResponse,
        print_verbose: Callable[..., Any],
        logging_obj: Any,
        optional_params: dict[str, Any],
        api_key: str | None = None,
        api_base: str | None = None,
        timeout: float | httpx.Timeout | None = None,  # noqa: ASYNC109 (LiteLLM's signature)
        litellm_params: Any = None,
    ) -> EmbeddingResponse:
        model_response.data = [
            {"object": "embedding", "index": i, "embedding": [3.0, 4.0, 0.0]}
            for i in range(len(input))
        ]
        return model_response


async def test_vectors_are_normalised_and_an_unknown_width_is_probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        litellm,
        "custom_provider_map",
        [{"provider": "unnormalised", "custom_handler": UnnormalisedEmbeddings()}],
    )
    path = tmp_path / "models.yaml"
    path.write_text(
        "model_list:\n"
        "  - model_name: embed\n"
        "    litellm_params: {model: unnormalised/v1}\n"
        "    model_info: {id: embed-test, serving_tier: managed}\n"
    )
    gateway = build_gateway(Settings(gateway_config=path))
    embedder = gateway.embedder
    try:
        with pytest.raises(GatewayConfigError, match=r"model_info\.dimension"):
            _ = embedder.dimension
        assert await embedder.probe() == 3  # type: ignore[attr-defined]
        vectors = await embedder.embed(["a", "b"])
    finally:
        await gateway.aclose()

    np.testing.assert_allclose(vectors, [[0.6, 0.8, 0.0], [0.6, 0.8, 0.0]], rtol=1e-6)
    assert embedder.name == "unnormalised/v1"
