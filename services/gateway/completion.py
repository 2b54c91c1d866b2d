"""What a chat call returns to the desk: the text, and which deployment really produced it."""

from __future__ import annotations

from dataclasses import dataclass

from litellm.types.utils import ModelResponse

from gateway.config import GatewayConfig
from gateway.errors import GatewayError
from gateway.schema import ServingTier


@dataclass(frozen=True)
class Completion:
    text: str
    model_group: str  # the group that answered, after any fallback
    deployment: str  # its model_info.id
    tier: ServingTier
    model: str  # the provider model, e.g. "openai/smollm2-135m-instruct"
    prompt_tokens: int
    completion_tokens: int
    # True when a group in the chain failed at request time and a later one answered.
    # Entering a chain further down because a group has no deployments is configuration,
    # not a fallback: requested_group says what was asked for.
    fallbacks_used: bool
    requested_group: str
    # Groups skipped because every slot was in use (gateway.saturation): the answer came
    # from further down the chain because the desk was busy, not because a model failed.
    saturated: tuple[str, ...] = ()


def completion_from_response(
    response: ModelResponse, config: GatewayConfig, requested_group: str, entry_group: str
) -> Completion:
    # The Router stamps the id of the deployment that answered into _hidden_params, also
    # after a fallback; mapping it back through our own config gives group and tier
    # without trusting anything the provider echoed.
    return assemble_completion(
        response.choices[0].message.content or "",
        response._hidden_params.get("model_id"),
        getattr(response, "usage", None),
        config,
        requested_group,
        entry_group,
    )


def assemble_completion(
    text: str,
    deployment_id: object,
    usage: object,
    config: GatewayConfig,
    requested_group: str,
    entry_group: str,
) -> Completion:
    """A Completion from a reply's parts; streams deliver them piece by piece."""
    try:
        deployment = config.by_id(str(deployment_id))
    except KeyError:
        raise GatewayError(f"LiteLLM reported an unknown deployment id {deployment_id!r}") from None
    return Completion(
        text=text,
        model_group=deployment.group,
        deployment=deployment.id,
        tier=deployment.tier,
        model=deployment.model,
        prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
        completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
        fallbacks_used=deployment.group != entry_group,
        requested_group=requested_group,
    )
