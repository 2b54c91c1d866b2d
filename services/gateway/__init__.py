"""The model gateway: every chat and embedding call of the desk goes through here.

`models.yaml` lists the deployments (managed APIs, the self-hosted SmolLM2, the extractive
responder, the in-process embedder) and their fallback chains; `build_gateway(settings)`
turns it into a `Gateway` over LiteLLM's Router.
"""

import os

# LiteLLM downloads its model cost map at import time unless told otherwise; the desk
# must start without network, so this runs before any module here imports litellm.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from gateway.completion import Completion
from gateway.errors import (
    DeadlineExceeded,
    GatewayConfigError,
    GatewayError,
    ModelGroupUnavailable,
    UnknownModelGroup,
)
from gateway.gateway import Gateway, build_gateway
from gateway.health import DeploymentHealth
from gateway.stream_events import StreamCompleted, StreamEvent, StreamFailed, TextDelta

__all__ = [
    "Completion",
    "DeadlineExceeded",
    "DeploymentHealth",
    "Gateway",
    "GatewayConfigError",
    "GatewayError",
    "ModelGroupUnavailable",
    "StreamCompleted",
    "StreamEvent",
    "StreamFailed",
    "TextDelta",
    "UnknownModelGroup",
    "build_gateway",
]
