"""How many turns one process runs at once: fixed, or adapted to how congested it is.

The adaptive limit is additive-increase, multiplicative-decrease (as TCP, and Netflix's
concurrency-limits `AIMDLimit`) on two congestion signals:

- turn latency against normal: each kind of turn (a cache hit, a model answer, a card
  action) has its own normal latency, learnt while the process is calm (at most half its
  slots taken, or no more turns than the floor). A cache hit takes tens of milliseconds
  and a model answer a second, so their raw latencies say nothing together; each one's
  latency over its own normal does. The recent average of that ratio is the inflation.
- the event loop's lag (`desk.admission.loop_lag`), for CPU-bound work that turn latency
  would show only late.

While inflation is under `tolerance` and the lag under `lag_target_s`, a limit in use
(as many turns running as it allows) grows by one slot per `limit` finished turns. Over
either, or after a failed turn, it shrinks by a tenth, once per drain: not again until the
turns admitted above the new limit have finished, since they still load the process.
Nothing here reads a clock: callers pass latencies and the lag, so tests drive it with
numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Limit(Protocol):
    @property
    def current(self) -> int: ...

    def observe(
        self, latency_s: float, in_flight: int, *, kind: str = "turn", failed: bool = False
    ) -> None:
        """One finished turn: its latency, how many turns were running when it ended, and
        what kind of turn it was (turns of a kind take about as long as each other)."""
        ...


@dataclass
class FixedLimit:
    value: int

    @property
    def current(self) -> int:
        return self.value

    def observe(
        self, latency_s: float, in_flight: int, *, kind: str = "turn", failed: bool = False
    ) -> None:
        return None


@dataclass
class AdaptiveLimit:
    initial: int
    lag_s: Callable[[], float]
    """The loop's recent lag, in seconds (`LoopLag.lag_s`)."""
    minimum: int = 2
    maximum: int = 64
    tolerance: float = 1.3
    lag_target_s: float = 0.025
    backoff: float = 0.9
    inflation_weight: float = 0.2  # the inflation follows the last few turns
    normal_weight: float = 0.05  # a kind's normal, the last few dozen calm ones
    _limit: float = field(init=False)
    _normal: dict[str, float] = field(default_factory=dict, init=False)
    _inflation: float = field(default=1.0, init=False)

    def __post_init__(self) -> None:
        if not 1 <= self.minimum <= self.initial <= self.maximum:
            raise ValueError(
                f"the limit needs 1 <= minimum ({self.minimum}) <= initial ({self.initial})"
                f" <= maximum ({self.maximum})"
            )
        self._limit = float(self.initial)

    @property
    def current(self) -> int:
        return int(self._limit)

    @property
    def inflation(self) -> float:
        """Recent turns' latency over their kinds' normal."""
        return self._inflation

    def normal_s(self, kind: str) -> float | None:
        return self._normal.get(kind)

    def observe(
        self, latency_s: float, in_flight: int, *, kind: str = "turn", failed: bool = False
    ) -> None:
        if not failed and latency_s > 0:
            normal = self._normal.get(kind)
            # Calm: at most half the slots taken, or no more than the floor allows. So a
            # model that is slower for everyone becomes the new normal once the limit
            # has fallen to the floor, instead of holding it there.
            if normal is None or in_flight <= max(self.minimum, self.current // 2):
                normal = (
                    latency_s if normal is None else _toward(normal, latency_s, self.normal_weight)
                )
                self._normal[kind] = normal
            self._inflation = _toward(self._inflation, latency_s / normal, self.inflation_weight)
        lag = self.lag_s()
        if failed or self._inflation > self.tolerance or lag > self.lag_target_s:
            if in_flight <= self.current:  # the turns over the last cut have drained
                self._limit = max(float(self.minimum), self._limit * self.backoff)
        elif in_flight >= self.current:
            self._limit = min(float(self.maximum), self._limit + 1 / self._limit)


def _toward(value: float, sample: float, weight: float) -> float:
    return value + weight * (sample - value)
