"""`knowledge.embedder.Embedder` backed by the Router's `embed` group."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import openai
from litellm import Router

from gateway.config import Deployment
from gateway.embedding_provider import shared_local_embedder
from gateway.errors import GatewayConfigError, GatewayError, ModelGroupUnavailable
from gateway.redaction import redact_texts
from gateway.schema import EMBED_GROUP
from knowledge.embedder import Embedder, LocalEmbedder, Vectors


def gateway_embedder(
    router: Router, deployment: Deployment, *, redact_allow: Iterable[str] = ()
) -> Embedder:
    """The `embed` group's one deployment as an Embedder.

    The in-process model is called in-process: with a single deployment the Router has
    nothing to choose, and its round trip (request objects, 384 floats through a Python
    list) added 6 ms p50 to a 20 ms embedding, paid on every turn by triage. Its LiteLLM
    provider stays registered for the Proxy (ADR 0009). Any other model goes through the
    Router.
    """
    if deployment.model == LocalEmbedder.name:
        return shared_local_embedder()
    return RouterEmbedder(router, deployment, redact_allow=redact_allow)


class RouterEmbedder:
    """Texts sent to an embedding model we do not host have their personal data masked,
    like chat requests (gateway.redaction); the in-process default reads them as they are."""

    def __init__(
        self, router: Router, deployment: Deployment, *, redact_allow: Iterable[str] = ()
    ) -> None:
        self._router = router
        self._name = deployment.model
        self._dimension = deployment.dimension
        self._redact = deployment.tier != "self-hosted"
        self._redact_allow = tuple(redact_allow)

    @property
    def name(self) -> str:
        return self._name

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            raise GatewayConfigError(
                f"the width of {self._name}'s vectors is unknown: set model_info.dimension for "
                "the embed group in models.yaml, or `await embedder.probe()` once at start-up"
            )
        return self._dimension

    async def probe(self) -> int:
        """Learn the vector width from one call, for models LiteLLM's map does not list."""
        await self.embed(["dimension probe"])
        return self.dimension

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension or 0), dtype=np.float32)
        sent = redact_texts(texts, self._redact_allow) if self._redact else list(texts)
        try:
            response = await self._router.aembedding(model=EMBED_GROUP, input=sent)
        except (openai.APIError, ValueError) as exc:
            raise ModelGroupUnavailable(EMBED_GROUP, (EMBED_GROUP,), str(exc)) from exc

        rows = sorted(response.data, key=lambda row: _field(row, "index"))
        vectors = np.asarray([_field(row, "embedding") for row in rows], dtype=np.float32)
        expected = (len(texts), self._dimension or vectors.shape[-1])
        if vectors.shape != expected:
            raise GatewayError(
                f"{self._name} returned vectors of shape {vectors.shape}, not {expected}"
            )
        self._dimension = expected[1]
        # Hosted models mostly return unit vectors already; normalising here makes it a
        # guarantee, since the vector store scores with a plain dot product.
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, np.finfo(np.float32).tiny)


def _field(row: Any, key: str) -> Any:
    return row[key] if isinstance(row, dict) else getattr(row, key)
