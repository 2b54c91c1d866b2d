"""The in-process embedder as a LiteLLM custom provider (`local/all-MiniLM-L6-v2`).

Routing embeddings through the Router too means one place decides which embedding model
runs, and swapping it for a hosted one is a config change (`EMBEDDING_MODEL`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import httpx
from litellm import CustomLLM
from litellm.llms.custom_llm import CustomLLMError
from litellm.types.utils import EmbeddingResponse, Usage

from knowledge.embedder import LocalEmbedder

LOCAL_MODEL = LocalEmbedder.name.removeprefix("local/")


@lru_cache(maxsize=1)
def shared_local_embedder() -> LocalEmbedder:
    """One model and one worker thread per process, however many gateways are built."""
    return LocalEmbedder()


class LocalEmbeddingProvider(CustomLLM):
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
        if model != LOCAL_MODEL:
            # Silently embedding with MiniLM under another name would corrupt the index.
            raise CustomLLMError(400, f"the local provider only runs {LOCAL_MODEL}, not {model}")
        texts = [input] if isinstance(input, str) else list(input)
        if not all(isinstance(t, str) for t in texts):
            raise CustomLLMError(400, "the local provider embeds text, not token ids")
        vectors = await shared_local_embedder().embed(texts)
        model_response.model = LocalEmbedder.name
        model_response.data = [
            {"object": "embedding", "index": i, "embedding": row.tolist()}
            for i, row in enumerate(vectors)
        ]
        model_response.usage = Usage(prompt_tokens=0, completion_tokens=0, total_tokens=0)
        return model_response
