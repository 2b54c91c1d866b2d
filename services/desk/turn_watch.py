"""What one turn reports about itself: metrics, and its outcome on the request's span."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from accounting import TurnMeter
from telemetry import names, set_attributes
from telemetry.instruments import instruments


@dataclass
class TurnWatch:
    """Counts the turn in flight from creation until `close`, whatever ends it."""

    started: float
    tenant: str
    route: str = "unknown"
    answered_by: str = ""
    outcome: str = "failed"
    _first_text: float | None = None
    _closed: bool = field(default=False)

    def __post_init__(self) -> None:
        instruments().in_flight.add(1)

    def first_text(self) -> None:
        if self._first_text is None:
            self._first_text = time.perf_counter() - self.started
            instruments().time_to_first_token.record(self._first_text, {names.ROUTE: self.route})

    def finished(self, metadata: dict[str, Any], meter: TurnMeter) -> None:
        self.route = str(metadata.get("route") or "unknown")
        answered_by = metadata.get("answered_by")
        self.answered_by = str(answered_by.get("tier", "")) if isinstance(answered_by, dict) else ""
        self.outcome = "ok"
        set_attributes(
            {
                names.ROUTE: self.route,
                names.INTENT: metadata.get("intent"),
                names.TRIAGE_METHOD: metadata.get("triage_method"),
                "desk.answered_by": metadata.get("answered_by"),
                "desk.grounded": bool(metadata.get("grounded")),
                "desk.turn": metadata.get("turn"),
                names.COST_USD: round(meter.cost_usd, 8),
            }
        )
        metrics = instruments()
        for call in meter.calls:
            labels = {names.TENANT: self.tenant, names.REQUEST_MODEL: call.model}
            metrics.cost.add(call.cost_usd, labels)
            metrics.token_usage.record(call.prompt_tokens, {**labels, "gen_ai.token.type": "input"})
            metrics.token_usage.record(
                call.completion_tokens, {**labels, "gen_ai.token.type": "output"}
            )

    @property
    def kind(self) -> str:
        """What the turn turned out to be, e.g. "knowledge/cache" (route and answering
        tier): turns of a kind take about as long as each other, which the admission
        limit relies on."""
        return f"{self.route}/{self.answered_by}" if self.answered_by else self.route

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        metrics = instruments()
        metrics.in_flight.add(-1)
        labels = {names.ROUTE: self.route, "desk.outcome": self.outcome}
        metrics.turns.add(1, labels)
        metrics.turn_duration.record(time.perf_counter() - self.started, labels)
