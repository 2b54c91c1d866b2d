"""How many turns one process runs at once: fixed, or adapted to the latency it measures.

The adaptive limit follows the gradient algorithm of Netflix's concurrency-limits
(`Gradient2Limit`): a short average of turn latency is compared with a long one, the
desk's recent normal. While turns take no longer than `tolerance` times normal, the limit
grows by about its square root per finished turn (so a queue can form and be measured);
once they take longer, it shrinks in proportion, down to `minimum`. A turn that timed out
or failed cuts the limit by a tenth. Nothing here reads a clock: callers pass latencies, so tests
drive it with numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol


class Limit(Protocol):
    @property
    def current(self) -> int: ...

    def observe(self, latency_s: float, in_flight: int, *, failed: bool = False) -> None:
        """One finished turn: its latency and how many turns were running when it ended."""
        ...


@dataclass
class FixedLimit:
    value: int

    @property
    def current(self) -> int:
        return self.value

    def observe(self, latency_s: float, in_flight: int, *, failed: bool = False) -> None:
        return None


@dataclass
class GradientLimit:
    initial: int
    minimum: int = 2
    maximum: int = 64
    tolerance: float = 1.5  # latency up to 1.5x normal is still "not overloaded"
    smoothing: float = 0.2  # how far one sample moves the limit toward its target
    short_weight: float = 0.2  # the short average: the last few turns
    long_weight: float = 0.002  # the long average: the last thousand or so
    backoff: float = 0.9  # a failed turn cuts the limit by this factor
    _limit: float = field(init=False)
    _short: float | None = field(default=None, init=False)
    _long: float | None = field(default=None, init=False)

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
    def normal_latency_s(self) -> float | None:
        return self._long

    def observe(self, latency_s: float, in_flight: int, *, failed: bool = False) -> None:
        if failed:
            # A timeout or error says "too much" without a usable latency: back off by a
            # tenth, and keep it out of the averages.
            self._limit = max(float(self.minimum), self._limit * self.backoff)
            return
        self._short = _average(self._short, latency_s, self.short_weight)
        self._long = _average(self._long, latency_s, self.long_weight)
        # After a long overload the long average has drifted up; let it recover as soon as
        # turns are fast again, or the limit would stay high through the next spike.
        if self._long > self._short * 2:
            self._long = self._short * 2
        if in_flight < self._limit / 2 and not failed:
            return  # barely used: latency says nothing about the limit
        gradient = max(0.5, min(1.0, self.tolerance * self._long / self._short))
        target = self._limit * gradient + math.sqrt(self._limit)
        updated = (1 - self.smoothing) * self._limit + self.smoothing * target
        self._limit = max(float(self.minimum), min(float(self.maximum), updated))


def _average(current: float | None, sample: float, weight: float) -> float:
    return sample if current is None else (1 - weight) * current + weight * sample
