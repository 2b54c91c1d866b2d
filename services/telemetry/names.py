"""Attribute names: the OpenTelemetry GenAI semantic conventions where one exists, `desk.*`
for the rest. Identifiers only: message text is never an attribute (ADR 0019)."""

from __future__ import annotations

from typing import Final

# GenAI semantic conventions (gen_ai.*).
OPERATION: Final = "gen_ai.operation.name"
REQUEST_MODEL: Final = "gen_ai.request.model"
RESPONSE_MODEL: Final = "gen_ai.response.model"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
CONVERSATION_ID: Final = "gen_ai.conversation.id"
DATA_SOURCE_ID: Final = "gen_ai.data_source.id"
TOOL_NAME: Final = "gen_ai.tool.name"

# The desk's own.
TENANT: Final = "desk.tenant"
NODE: Final = "desk.node"
ROUTE: Final = "desk.route"
INTENT: Final = "desk.intent"
TRIAGE_METHOD: Final = "desk.triage.method"
TRIAGE_CONFIDENCE: Final = "desk.triage.confidence"
DEPLOYMENT: Final = "desk.gateway.deployment"
TIER: Final = "desk.gateway.tier"
ATTEMPT: Final = "desk.gateway.attempt"
FALLBACK_REASON: Final = "desk.gateway.fallback_reason"
FALLBACKS_USED: Final = "desk.gateway.fallbacks_used"
COST_USD: Final = "desk.cost_usd"
CACHE_HIT: Final = "desk.cache.hit"
CACHE_SIMILARITY: Final = "desk.cache.similarity"
RETRIEVAL_K: Final = "desk.retrieval.k"
RETRIEVAL_SCORES: Final = "desk.retrieval.top_scores"
RETRIEVAL_ENTITIES: Final = "desk.retrieval.entities"
RETRIEVAL_COVERED: Final = "desk.retrieval.covered"
RETRIEVAL_USED_HISTORY: Final = "desk.retrieval.used_history"
NEUTRALISED: Final = "desk.retrieval.neutralised"
TOOL_OUTCOME: Final = "desk.tool.outcome"
APPROVAL_STATE: Final = "desk.approval.state"
GUARDRAIL: Final = "desk.guardrail"
GUARDRAIL_OUTCOME: Final = "desk.guardrail.outcome"
