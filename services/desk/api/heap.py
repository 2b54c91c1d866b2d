"""The garbage collector, kept from pausing the event loop for long.

A collection holds the GIL while it walks what it tracks, so every request waits for it,
refusals included. On this desk's heap (models, indexes, LiteLLM's price map: about
600,000 objects) a full collection takes about 400 ms on 2 cores. Two freezes keep it
short (docs/adr/0021):

- after start-up, everything built so far goes out of the collector's sight;
- the first turns still build long-lived objects lazily (imported modules, pydantic
  validators: about 75,000 objects here, 50 to 80 ms per full collection). So after a
  full collection while serving, if many objects survived, they are frozen too. A full
  collection has just freed every unreachable cycle, so what is frozen is in use; at
  worst the state of the turns then in flight is kept once. This happens at most
  `max_refreezes` times.

Later full collections walk only what turns leave behind: a few thousand objects, a few
milliseconds. `desk.gc.pause` records each collection's pause, by generation.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from telemetry.instruments import instruments

log = logging.getLogger(__name__)

# Once settled, a full collection leaves a few thousand objects here; lazy start-up
# work leaves tens of thousands.
SETTLED_BELOW = 10_000
MAX_REFREEZES = 3
CHECK_EVERY_S = 1.0
# Pauses kept between two checks; beyond that the oldest are dropped, not recorded.
KEPT_PAUSES = 4096


@dataclass
class Heap:
    settled_below: int = SETTLED_BELOW
    max_refreezes: int = MAX_REFREEZES
    check_every_s: float = CHECK_EVERY_S
    refreezes: int = 0
    _pauses: deque[tuple[int, float]] = field(
        default_factory=lambda: deque(maxlen=KEPT_PAUSES), repr=False
    )
    _started: float = field(default=0.0, repr=False)
    _full_collection: bool = field(default=False, repr=False)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Runs inside the collector, on whichever thread allocated: only appends here
        # (atomic), since recording a metric may take a lock that thread already holds.
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = int(info["generation"])
        self._pauses.append((generation, time.perf_counter() - self._started))
        if generation == 2:
            self._full_collection = True

    def check(self) -> None:
        """Records the pauses since the last check; freezes what the last full collection
        left, if that is still a lot."""
        histogram = instruments().gc_pause
        while self._pauses:
            generation, pause_s = self._pauses.popleft()
            histogram.record(pause_s, {"generation": generation})
        if not self._full_collection or self.refreezes >= self.max_refreezes:
            return
        self._full_collection = False
        survivors = len(gc.get_objects(generation=2))
        if survivors >= self.settled_below:
            gc.freeze()
            self.refreezes += 1
            log.info(
                "heap: froze %d objects built after start-up (%d of %d)",
                survivors,
                self.refreezes,
                self.max_refreezes,
            )

    async def _checking(self) -> None:
        while True:
            await asyncio.sleep(self.check_every_s)
            self.check()

    @contextlib.asynccontextmanager
    async def watching(self) -> AsyncIterator[Heap]:
        """Freezes what start-up built and watches collections until the block ends. The
        freezes outlive the block: thawing would hand the whole heap back to the next
        collection."""
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._on_collection)
        task = asyncio.create_task(self._checking(), name="heap")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            gc.callbacks.remove(self._on_collection)
