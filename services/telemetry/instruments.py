"""The desk's metrics, created once from the global meter.

Before `configure_telemetry` runs (unit tests of single parts) the global meter is
OpenTelemetry's no-op proxy, and recording costs nothing; instruments made from it start
recording once a provider is set. Durations are in seconds with buckets from 5 ms to a
minute (`DURATION_BUCKETS`), set by a view in `telemetry.providers`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from opentelemetry import metrics

METER = "harbor.desk"
DURATION_BUCKETS: Final = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    20.0,
    30.0,
    60.0,
)
# Graph nodes run from a millisecond (a rule) to the whole answer stream.
NODE_BUCKETS: Final = (0.001, 0.0025, *DURATION_BUCKETS)
TOKEN_BUCKETS: Final = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536)


class Instruments:
    def __init__(self, meter: metrics.Meter) -> None:
        self.turns = meter.create_counter(
            "desk.turns", unit="{turn}", description="Turns finished, by route and outcome."
        )
        self.turn_duration = meter.create_histogram(
            "desk.turn.duration", unit="s", description="A turn from admission to its done event."
        )
        self.time_to_first_token = meter.create_histogram(
            "desk.turn.time_to_first_token",
            unit="s",
            description="From admission to the first text the customer sees.",
        )
        self.in_flight = meter.create_up_down_counter(
            "desk.turns.in_flight", unit="{turn}", description="Turns running now."
        )
        self.rejected = meter.create_counter(
            "desk.turns.rejected",
            unit="{turn}",
            description="Turns refused before they ran, by reason (busy = shed load).",
        )
        self.cache_lookups = meter.create_counter(
            "desk.cache.lookups",
            unit="{lookup}",
            description="Semantic cache lookups, by result: hit, miss, skipped, error.",
        )
        self.token_usage = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Tokens per model call, by gen_ai.token.type (input, output).",
        )
        self.operation_duration = meter.create_histogram(
            "gen_ai.client.operation.duration", unit="s", description="One gateway call."
        )
        self.cost = meter.create_counter(
            "desk.model.cost", unit="USD", description="Model spend, by tenant and model."
        )
        self.fallbacks = meter.create_counter(
            "desk.gateway.fallbacks",
            unit="{fallback}",
            description="Model groups given up on for the next one, by group and reason.",
        )
        self.saturated = meter.create_counter(
            "desk.gateway.saturated",
            unit="{call}",
            description="Calls that skipped a model group because its slots were full.",
        )
        self.guardrail_blocks = meter.create_counter(
            "desk.guardrail.blocks",
            unit="{block}",
            description="Messages or passages a guardrail stopped, by guardrail.",
        )
        self.approvals_pending = meter.create_up_down_counter(
            "desk.approvals.pending",
            unit="{approval}",
            description="Actions proposed and waiting for the customer's yes or no.",
        )

        self.node_duration = meter.create_histogram(
            "desk.node.duration",
            unit="s",
            description="One graph node (triage, retrieve, answer, ...), by node and outcome.",
        )
        self.turns_waiting = meter.create_up_down_counter(
            "desk.turns.waiting",
            unit="{turn}",
            description="Turns queued for a slot (the admission queue's depth).",
        )
        self.admission_limit = meter.create_gauge(
            "desk.admission.limit",
            unit="{turn}",
            description="Turns this process admits at once (adaptive: follows the event"
            " loop's lag).",
        )
        self.loop_lag = meter.create_histogram(
            "desk.event_loop.lag",
            unit="s",
            description="How late the event loop woke a ticker that asked for 50 ms: the"
            " process's CPU congestion, which the adaptive admission limit follows.",
        )
        self.gc_pause = meter.create_histogram(
            "desk.gc.pause",
            unit="s",
            description="How long one garbage collection held the interpreter, by"
            " generation (2 is a full collection): every request waits that long.",
        )
        self.admission_wait = meter.create_histogram(
            "desk.admission.wait",
            unit="s",
            description="How long admitted turns waited in the queue for a slot.",
        )
        self.cache_breaker_open = meter.create_gauge(
            "desk.cache.breaker.open",
            unit="1",
            description="1 while the semantic cache's circuit breaker is open (Redis bypassed).",
        )
        self.budget_spent = meter.create_gauge(
            "desk.budget.spent",
            unit="USD",
            description="A tenant's model spend this month, as of its latest turn.",
        )
        self.budget_limit = meter.create_gauge(
            "desk.budget.limit",
            unit="USD",
            description="A tenant's monthly model budget, by desk.budget.kind (soft, hard).",
        )
        self.audit_write_failures = meter.create_counter(
            "desk.audit.write_failures",
            unit="{record}",
            description="Audit records that could not be written, by kind.",
        )


@lru_cache(maxsize=1)
def instruments() -> Instruments:
    return Instruments(metrics.get_meter(METER))
