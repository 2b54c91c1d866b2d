"""The desk's own LiteLLM providers, registered in `litellm.custom_provider_map`.

The map is process-wide, so registration replaces entries by provider name rather than
appending: building a second gateway (tests, a reload) leaves one handler per provider.
"""

from __future__ import annotations

import litellm
from litellm import CustomLLM

from gateway.embedding_provider import LocalEmbeddingProvider
from gateway.extractive_provider import ExtractiveResponder

_HANDLERS: dict[str, CustomLLM] = {
    "extractive": ExtractiveResponder(),  # extractive/responder
    "local": LocalEmbeddingProvider(),  # local/all-MiniLM-L6-v2
}


def register_custom_providers() -> None:
    kept = [item for item in litellm.custom_provider_map if item["provider"] not in _HANDLERS]
    litellm.custom_provider_map = kept + [
        {"provider": provider, "custom_handler": handler} for provider, handler in _HANDLERS.items()
    ]
