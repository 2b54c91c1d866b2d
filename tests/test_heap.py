"""The collector kept short: start-up frozen, long-lived objects built later frozen after
a full collection (a bounded number of times), and every pause recorded on /metrics."""

from __future__ import annotations

import gc

from prometheus_client import REGISTRY, generate_latest

from desk.api.heap import Heap
from telemetry import configure_telemetry


class Kept:
    """A tracked object, like the modules and validators a first turn builds."""


async def test_what_survives_a_full_collection_is_frozen_until_the_heap_settles() -> None:
    heap = Heap(settled_below=3_000, check_every_s=3600)
    async with heap.watching():
        frozen = gc.get_freeze_count()
        assert frozen > 0  # start-up is out of the collector's sight
        kept = [Kept() for _ in range(5_000)]  # built lazily by the first turns
        gc.collect()
        heap.check()
        assert heap.refreezes == 1
        assert gc.get_freeze_count() >= frozen + len(kept)
        assert not gc.get_objects(generation=2)
        gc.collect()  # settled: little survives this one, so nothing more is frozen
        heap.check()
        assert heap.refreezes == 1
    assert heap._on_collection not in gc.callbacks


async def test_refreezes_are_bounded() -> None:
    heap = Heap(settled_below=1, max_refreezes=2, check_every_s=3600)
    async with heap.watching():
        kept = []
        for _ in range(4):
            kept.append([Kept() for _ in range(10)])
            gc.collect()
            heap.check()
        assert heap.refreezes == 2


async def test_each_collections_pause_is_on_metrics_by_generation() -> None:
    configure_telemetry()
    heap = Heap(check_every_s=3600)
    async with heap.watching():
        gc.collect(0)
        gc.collect(2)
        heap.check()
    exposition = generate_latest(REGISTRY).decode()
    for generation in (0, 2):
        assert f'desk_gc_pause_seconds_count{{generation="{generation}"' in exposition
