"""A circuit breaker: after N consecutive failures Redis is left alone for a while, so a
down or hanging cache costs a turn nothing; then one trial call decides whether to resume."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self,
        failures: int,
        reset_s: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        """`on_change(tripped)` is told each time the breaker trips (True: open, then
        half-open) and each time a success closes it again (False)."""
        self._on_change = on_change
        self._threshold = failures
        self._reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> State:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at >= self._reset_s:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether to call Redis now. Half-open lets exactly one caller through as the trial."""
        state = self.state
        if state == "closed":
            return True
        if state == "half-open" and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def succeeded(self) -> None:
        tripped = self._opened_at is not None
        self._failures = 0
        self._opened_at = None
        self._trial_running = False
        if tripped and self._on_change is not None:
            self._on_change(False)

    def failed(self) -> None:
        self._failures += 1
        self._trial_running = False
        if self._opened_at is not None or self._failures >= self._threshold:
            tripping = self._opened_at is None
            self._opened_at = self._clock()
            if tripping and self._on_change is not None:
                self._on_change(True)
