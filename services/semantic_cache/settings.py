"""What the cache needs to know; the desk's Settings are mapped onto it in one place."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# Cosine similarity between MiniLM embeddings, on top of the same-intent requirement.
# Chosen from the sweep of `supportdesk eval cache` (figures in ADR 0007).
DEFAULT_THRESHOLD = 0.80
# The router's vote share for the question's top intent (`RouteDecision.candidates[0][1]`)
# below which a question is neither served from nor written to the cache: wrong hits come
# from misrouted questions, and a split vote is where the router misroutes.
DEFAULT_MIN_CONFIDENCE = 0.90


class CacheSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    redis_url: str = "redis://127.0.0.1:6380/0"
    ttl_s: int = Field(86_400, gt=0, description="How long a cached answer may be served.")
    threshold: float = Field(DEFAULT_THRESHOLD, ge=-1.0, le=1.0)
    tenant_thresholds: dict[str, float] = Field(default_factory=dict)
    min_confidence: float = Field(
        DEFAULT_MIN_CONFIDENCE,
        ge=0.0,
        le=1.0,
        description="Router vote share of the top intent needed to look up or store.",
    )
    op_timeout_ms: int = Field(50, gt=0, description="Bound on one lookup or store.")
    breaker_failures: int = Field(5, gt=0, description="Consecutive failures that open it.")
    breaker_reset_s: float = Field(10.0, gt=0, description="Open this long, then one trial.")
    key_prefix: str = Field("semcache", min_length=1)
    candidates: int = Field(3, gt=0, description="Nearest entries checked per lookup.")

    def threshold_for(self, tenant: str) -> float:
        return self.tenant_thresholds.get(tenant, self.threshold)

    def confident(self, confidence: float | None) -> bool:
        """Whether a question routed with this confidence may use the cache (None: ungated)."""
        return confidence is None or confidence >= self.min_confidence
