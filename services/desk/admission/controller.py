"""Admission control: a bounded number of turns in flight, a short fair queue, and an
immediate, explained refusal beyond it (docs/adr/0021).

A turn arriving while a slot is free runs at once. Otherwise it waits in its tenant's
queue, unless waiting would be pointless: the queue is full, the tenant already holds
its fair share of it, or the expected wait (the queue ahead of it, at the rate turns
have been finishing) is more than half of `max_wait_s`, so that queued turns are
almost always admitted rather than refused late. Then it is refused straight away
with `Overloaded` and a Retry-After, which the API turns into a 429: a refusal costs
microseconds, never a timeout. Freed slots go to the tenants' queues in turn (round
robin), so one tenant's burst cannot starve the others.

A turn let in for a free slot holds it (`reserve`) until it takes it: between the two
it reads rows, and without the hold every request arriving meanwhile would be let in
too, only to be refused after that work, late.

For a second after any refusal the desk counts as overloaded rather than absorbing a
burst, and queues nothing: a turn runs in a free slot or is refused at once. A queue
would only add its wait to every turn admitted (CoDel's "bad queue"), and through a spike
a freed slot is taken by the next arrival within milliseconds anyway. Fairness then comes
from the slots themselves: while overloaded, a tenant holds at most its share of them
(the limit over the tenants running or recently refused), so one tenant's burst leaves
room for the others.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from desk.admission.limit import Limit
from desk.admission.loop_lag import LoopLag
from telemetry.instruments import instruments

RETRY_AFTER_RANGE_S = (1, 30)
# The queue's drain rate is measured over the turns finished in the last few seconds.
RATE_WINDOW_S = 5.0
RATE_MIN_SAMPLES = 4
# A turn is queued only if it should get a slot within this share of ADMISSION_MAX_WAIT_S.
QUEUE_PROMISE = 0.5
# For this long after the desk last refused a turn it is overloaded, not absorbing a
# burst: it queues nothing, and each tenant holds at most its share of the slots.
OVERLOAD_MEMORY_S = 1.0


class Overloaded(Exception):
    """No room for this turn now; `retry_after_s` is when trying again is worthwhile."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass
class Slot:
    tenant: str
    granted_at: float
    waited_s: float
    _released: bool = False


@dataclass(eq=False)
class Reservation:
    """A free slot held for one tenant's turn until its `acquire` (or until it gives up)."""

    controller: AdmissionController
    tenant: str
    _held: bool = True

    def give_up(self) -> None:
        """Frees the slot for others; a no-op once taken or given up."""
        if self._take():
            self.controller._dispatch()

    def _take(self) -> bool:
        """Ends the hold; whether it was still on."""
        if not self._held:
            return False
        self._held = False
        self.controller._unreserve(self.tenant)
        return True


@dataclass(eq=False)
class _Waiter:
    tenant: str
    future: asyncio.Future[Slot]
    enqueued_at: float


@dataclass
class AdmissionController:
    limit: Limit
    max_queue: int = 32
    max_wait_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    loop_lag: LoopLag = field(default_factory=LoopLag)
    in_flight: int = 0
    _held: Counter[str] = field(default_factory=Counter)  # slots in use, by tenant
    reserved: int = 0
    _reserved: Counter[str] = field(default_factory=Counter)  # slots held, by tenant
    _wanting: dict[str, float] = field(default_factory=dict)  # tenant: when last refused
    _queues: OrderedDict[str, deque[_Waiter]] = field(default_factory=OrderedDict)
    _latency_s: float | None = None  # recent turn latency, for the expected wait
    _finished: deque[float] = field(default_factory=lambda: deque(maxlen=256))
    _refused_at: float = -math.inf  # when the desk last refused a turn for want of room

    def __post_init__(self) -> None:
        # Both series exist from the start, so a dashboard shows 0 rather than no data.
        instruments().admission_limit.set(self.limit.current)
        instruments().turns_waiting.add(0)

    @property
    def queued(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def refusal(self, tenant: str) -> Overloaded | None:
        """What `acquire` would refuse with right now, without queueing: lets the API shed
        a turn before spending anything on it (tokens checked, rows read)."""
        if self._free_for(tenant):
            return None
        try:
            self._check_room(tenant)
        except Overloaded as refused:
            return refused
        return None

    def reserve(self, tenant: str) -> Reservation | None:
        """Holds a free slot for `tenant`'s coming `acquire`; None when that turn would
        queue instead. Raises Overloaded when `acquire` would refuse it."""
        if self._free_for(tenant):
            self.reserved += 1
            self._reserved[tenant] += 1
            return Reservation(self, tenant)
        self._check_room(tenant)
        return None

    def _unreserve(self, tenant: str) -> None:
        self.reserved -= 1
        _drop_one(self._reserved, tenant)

    async def acquire(self, tenant: str, reservation: Reservation | None = None) -> Slot:
        """A slot for one turn of `tenant`, now (the one `reservation` holds, if any) or
        after a short wait; raises Overloaded."""
        held = reservation is not None and reservation._take()
        # A held slot is this turn's, unless the limit has shrunk since.
        if (held and self._taken < self.limit.current) or self._free_for(tenant):
            return self._grant(tenant, self.clock())
        self._check_room(tenant)
        waiter = _Waiter(tenant, asyncio.get_running_loop().create_future(), self.clock())
        self._queues.setdefault(tenant, deque()).append(waiter)
        instruments().turns_waiting.add(1)
        try:
            async with asyncio.timeout(self.max_wait_s):
                return await waiter.future
        except TimeoutError:
            if waiter.future.done() and not waiter.future.cancelled():
                return waiter.future.result()  # granted as the wait ran out: keep it
            self._forget(waiter)
            self._refused_at = self.clock()
            raise Overloaded(
                f"waited {self.max_wait_s:g} s for a free slot", self.retry_after_s()
            ) from None
        except asyncio.CancelledError:
            if waiter.future.done() and not waiter.future.cancelled():
                self.release(waiter.future.result(), latency_s=None)
            else:
                self._forget(waiter)
            raise

    def release(
        self, slot: Slot, latency_s: float | None, *, kind: str = "turn", failed: bool = False
    ) -> None:
        """Give the slot back (once); `latency_s` None when the turn never ran, `kind` what
        the turn turned out to be (the limit compares turns of a kind)."""
        if slot._released:
            return
        slot._released = True
        running = self.in_flight
        self.in_flight -= 1
        _drop_one(self._held, slot.tenant)
        if latency_s is not None:
            self._finished.append(self.clock())
            self.limit.observe(latency_s, running, kind=kind, failed=failed)
            instruments().admission_limit.set(self.limit.current)
            self._latency_s = (
                latency_s if self._latency_s is None else (0.8 * self._latency_s + 0.2 * latency_s)
            )
        self._dispatch()

    @property
    def overloaded(self) -> bool:
        """Whether a turn was refused for want of room within the last second."""
        return self.clock() - self._refused_at < OVERLOAD_MEMORY_S

    def expected_wait_s(self, position: int) -> float | None:
        """Seconds until the `position`-th queued turn gets a slot: at the rate turns have
        finished over the last few seconds, or, before there is a rate, from the recent
        latency and the limit. None before anything has finished."""
        now = self.clock()
        recent = [t for t in self._finished if now - t <= RATE_WINDOW_S]
        if len(recent) >= RATE_MIN_SAMPLES:
            rate = len(recent) / max(now - recent[0], RATE_WINDOW_S / 4)
            return position / rate
        if self._finished and not recent and self.in_flight >= self.limit.current:
            return math.inf  # the slots are full and nothing has finished for a while
        if self._latency_s is None:
            return None
        return self._latency_s * position / max(1, self.limit.current)

    def retry_after_s(self) -> int:
        """When a slot is likely free for a newcomer: after the queue ahead of it."""
        low, high = RETRY_AFTER_RANGE_S
        wait = self.expected_wait_s(self.queued + 1)
        if wait is None:
            return low
        return high if math.isinf(wait) else max(low, min(high, math.ceil(wait)))

    def share_of_slots(self, tenant: str) -> int:
        """The slots `tenant` may hold while the desk is overloaded: the limit shared
        among the tenants running turns or refused within the last second."""
        now = self.clock()
        wanting = {t for t, at in self._wanting.items() if now - at < OVERLOAD_MEMORY_S}
        tenants = len(self._held.keys() | self._reserved.keys() | wanting | {tenant})
        return max(1, math.ceil(self.limit.current / tenants))

    @property
    def _taken(self) -> int:
        """Slots in use or held for a turn let in."""
        return self.in_flight + self.reserved

    def _slot_free(self) -> bool:
        """A slot nobody holds, and nobody queued ahead for it."""
        return self._taken < self.limit.current and not self.queued

    def _holding(self, tenant: str) -> int:
        return self._held[tenant] + self._reserved[tenant]

    def _free_for(self, tenant: str) -> bool:
        """Whether `tenant`'s turn may take a slot now, without queueing."""
        if not self._slot_free():
            return False
        return not self.overloaded or self._holding(tenant) < self.share_of_slots(tenant)

    def _check_room(self, tenant: str) -> None:
        if (reason := self._no_room(tenant)) is not None:
            now = self._refused_at = self.clock()
            if tenant:
                self._wanting[tenant] = now
                for gone in [t for t, at in self._wanting.items() if now - at >= OVERLOAD_MEMORY_S]:
                    del self._wanting[gone]
            raise Overloaded(reason, self.retry_after_s())

    def _no_room(self, tenant: str) -> str | None:
        """Why `tenant`'s turn cannot queue now, or None if it can."""
        if self.overloaded:
            if self._slot_free():
                return (
                    f"this tenant already runs {self._holding(tenant)} turns, its share of the"
                    f" {self.limit.current} the desk runs at once while it is overloaded"
                )
            return (
                f"all {self.limit.current} turns the desk runs at once are taken, and while it"
                " is overloaded it queues none, so that the turns it runs do not wait"
            )
        queued = self.queued
        if queued >= self.max_queue:
            return f"{queued} turns are already queued"
        tenants = len(self._queues) + (tenant not in self._queues)
        share = max(1, self.max_queue // tenants)
        if (mine := len(self._queues.get(tenant, ()))) >= share:
            return f"this tenant already has {mine} turns queued (its share is {share})"
        expected = self.expected_wait_s(queued + 1)
        promise = QUEUE_PROMISE * self.max_wait_s
        if expected is not None and expected > promise:
            # Queue only what will very likely be admitted: a turn refused after waiting
            # would be a slow 429, and a 429 must be fast.
            return (
                f"the expected wait ({expected:.1f} s) is over the {promise:g} s the queue"
                " can promise"
            )
        return None

    def _grant(self, tenant: str, enqueued_at: float) -> Slot:
        self.in_flight += 1
        self._held[tenant] += 1
        now = self.clock()
        return Slot(tenant, granted_at=now, waited_s=now - enqueued_at)

    def _dispatch(self) -> None:
        """Fill free slots from the tenants' queues in turn."""
        while self._taken < self.limit.current and self._queues:
            tenant, queue = next(iter(self._queues.items()))
            waiter = queue.popleft()
            instruments().turns_waiting.add(-1)
            if queue:
                self._queues.move_to_end(tenant)  # the next free slot goes to another tenant
            else:
                del self._queues[tenant]
            if not waiter.future.done():
                slot = self._grant(tenant, waiter.enqueued_at)
                instruments().admission_wait.record(slot.waited_s)
                waiter.future.set_result(slot)

    def _forget(self, waiter: _Waiter) -> None:
        queue = self._queues.get(waiter.tenant)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            instruments().turns_waiting.add(-1)
            if not queue:
                del self._queues[waiter.tenant]


def _drop_one(counts: Counter[str], tenant: str) -> None:
    counts[tenant] -= 1
    if not counts[tenant]:
        del counts[tenant]
