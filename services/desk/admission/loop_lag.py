"""How late the event loop runs what is due: the process's congestion signal.

Every turn, refusal, health check and token relay of a process shares one event loop, so
when its CPU is oversubscribed everything that is ready waits its turn in the loop's
queue. A ticker that asks to wake every `interval_s` measures that wait directly: how
much later than asked it wakes. Unlike turn latency it does not depend on the mix of
turns (a cache hit takes tens of milliseconds, a model answer seconds) nor on a slow
upstream, which the gateway handles with its own slots (docs/adr/0021).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from telemetry.instruments import instruments

INTERVAL_S = 0.05
# The smoothed lag follows about the last quarter second of ticks.
SMOOTHING = 0.2


@dataclass
class LoopLag:
    interval_s: float = INTERVAL_S
    smoothing: float = SMOOTHING
    lag_s: float = 0.0
    """The recent lag, smoothed over the last few ticks."""
    _task: asyncio.Task[None] | None = field(default=None, repr=False)

    def observe(self, lag_s: float) -> None:
        """One tick that woke `lag_s` late."""
        late = max(0.0, lag_s)
        self.lag_s += self.smoothing * (late - self.lag_s)
        instruments().loop_lag.record(late)

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time() + self.interval_s
            await asyncio.sleep(self.interval_s)
            self.observe(loop.time() - asked)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[LoopLag]:
        """Measures the running loop until the block ends."""
        self._task = asyncio.create_task(self._tick(), name="loop-lag")
        try:
            yield self
        finally:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
