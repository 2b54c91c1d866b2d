"""Admission control: who runs, who waits, who is refused at once, in what order freed
slots are handed out, and how the adaptive limit follows turn latency (latencies are
numbers passed in; no test reads the time). Then through the API: with the limit full
and no queue, the next turn gets a 429 with Retry-After while health and metrics answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from desk.admission import AdmissionController, FixedLimit, GradientLimit, Overloaded, Slot
from desk.api.app import create_app
from tests.support.desk_app import client_for, desk_settings, ingest_help_centre
from tests.support.fake_upstream import (
    Behaviour,
    Script,
    chain_models_yaml,
    running_fake_upstream,
    unused_url,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def controller(limit: int = 2, queue: int = 4, wait_s: float = 60.0) -> AdmissionController:
    return AdmissionController(FixedLimit(limit), max_queue=queue, max_wait_s=wait_s, clock=Clock())


async def settle() -> None:
    """Let queued acquires run up to their wait."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_turns_run_at_once_up_to_the_limit_then_queue_then_are_refused() -> None:
    gate = controller(limit=2, queue=2)
    running = [await gate.acquire("harbor"), await gate.acquire("harbor")]
    assert gate.in_flight == 2
    waiting = [asyncio.create_task(gate.acquire("harbor")) for _ in range(2)]
    await settle()
    assert gate.queued == 2 and not any(task.done() for task in waiting)
    with pytest.raises(Overloaded) as refused:
        await gate.acquire("harbor")
    assert "2 turns are already queued" in refused.value.reason
    assert refused.value.retry_after_s >= 1
    gate.release(running[0], latency_s=1.0)
    await settle()
    assert waiting[0].done() and not waiting[1].done() and gate.in_flight == 2
    for task in waiting:
        task.cancel()


async def test_freed_slots_go_to_the_tenants_in_turn() -> None:
    gate = controller(limit=1, queue=8)
    held = await gate.acquire("harbor")
    order: list[str] = []

    async def turn(tenant: str) -> None:
        slot = await gate.acquire(tenant)
        order.append(tenant)
        gate.release(slot, latency_s=1.0)

    # A burst from one tenant, then one turn from another: the other is not last.
    tasks = [asyncio.create_task(turn("burst")) for _ in range(3)]
    await settle()
    tasks.append(asyncio.create_task(turn("quiet")))
    await settle()
    gate.release(held, latency_s=1.0)
    await asyncio.gather(*tasks)
    assert order == ["burst", "quiet", "burst", "burst"]
    assert gate.in_flight == 0 and gate.queued == 0


async def test_one_tenant_cannot_fill_the_queue_while_another_waits() -> None:
    gate = controller(limit=1, queue=4)
    held = await gate.acquire("burst")
    burst = [asyncio.create_task(gate.acquire("burst")) for _ in range(2)]
    quiet = asyncio.create_task(gate.acquire("quiet"))
    await settle()
    # Two tenants share a queue of four: two places each.
    with pytest.raises(Overloaded) as refused:
        await gate.acquire("burst")
    assert "its share is 2" in refused.value.reason
    assert gate.queued == 3 and not quiet.done()
    gate.release(held, latency_s=1.0)
    await settle()
    assert burst[0].done() and not quiet.done()
    gate.release(burst[0].result(), latency_s=1.0)
    await settle()
    assert quiet.done()
    for task in [*burst, quiet]:
        task.cancel()


async def test_an_expected_wait_over_the_bound_is_refused_without_waiting() -> None:
    gate = controller(limit=1, queue=10, wait_s=2.0)
    first = await gate.acquire("harbor")
    gate.release(first, latency_s=3.0)  # turns take about 3 s
    held = await gate.acquire("harbor")
    with pytest.raises(Overloaded) as refused:
        await gate.acquire("harbor")  # one slot, 3 s ahead: over the 2 s bound
    assert "expected wait (3.0 s) is over the 1 s the queue can promise" in refused.value.reason
    assert refused.value.retry_after_s == 3
    assert gate.queued == 0
    gate.release(held, latency_s=None)


async def test_the_queue_takes_only_what_the_measured_drain_rate_admits_in_time() -> None:
    clock = Clock()
    gate = AdmissionController(FixedLimit(1), max_queue=10, max_wait_s=2.0, clock=clock)
    for _ in range(4):  # four turns finished in the last second: 3.2 a second, measured
        slot = await gate.acquire("harbor")
        clock.now += 0.25
        gate.release(slot, latency_s=0.25)
    held = await gate.acquire("harbor")
    queued = [asyncio.create_task(gate.acquire("harbor")) for _ in range(3)]
    await settle()
    assert gate.queued == 3  # the third is due in 3 / 3.2 s, within the 1 s promised
    with pytest.raises(Overloaded, match=r"expected wait \(1\.2 s\)") as refused:
        await gate.acquire("harbor")
    assert refused.value.retry_after_s == 2
    clock.now += 10  # nothing finishes for ten seconds while every slot is taken
    with pytest.raises(Overloaded, match=r"expected wait \(inf s\)"):
        await gate.acquire("harbor")
    gate.release(held, latency_s=None)
    for task in queued:
        task.cancel()


async def test_a_wait_that_runs_out_is_refused_and_leaves_the_queue() -> None:
    gate = AdmissionController(FixedLimit(1), max_queue=4, max_wait_s=0.01)
    held = await gate.acquire("harbor")
    with pytest.raises(Overloaded, match=r"waited 0\.01 s"):
        await gate.acquire("harbor")
    assert gate.queued == 0 and gate.in_flight == 1
    gate.release(held, latency_s=None)
    assert gate.in_flight == 0


async def test_a_client_gone_while_queued_costs_no_slot() -> None:
    gate = controller(limit=1, queue=4)
    held = await gate.acquire("harbor")
    gone = asyncio.create_task(gate.acquire("harbor"))
    await settle()
    gone.cancel()
    await settle()
    assert gate.queued == 0
    gate.release(held, latency_s=1.0)
    assert gate.in_flight == 0
    again: Slot = await gate.acquire("harbor")
    gate.release(again, latency_s=1.0)
    gate.release(again, latency_s=1.0)  # twice: counted once
    assert gate.in_flight == 0


def test_the_adaptive_limit_grows_while_latency_is_normal_and_shrinks_under_overload() -> None:
    limit = GradientLimit(8, minimum=2, maximum=64)
    for _ in range(50):
        limit.observe(1.0, in_flight=limit.current)
    grown = limit.current
    assert grown >= 48  # busy and as fast as usual: room to admit more
    for _ in range(30):
        limit.observe(4.0, in_flight=limit.current)  # four times slower: overloaded
    shrunk = limit.current
    assert shrunk <= grown / 3
    for _ in range(30):
        limit.observe(1.0, in_flight=limit.current)
    assert limit.current >= 2 * shrunk  # recovers once turns are fast again


def test_the_adaptive_limit_ignores_latency_while_barely_used_and_stays_in_bounds() -> None:
    limit = GradientLimit(16, minimum=4, maximum=32)
    for _ in range(20):
        limit.observe(9.0, in_flight=1)  # slow, but nearly idle: not the desk's load
    assert limit.current == 16
    for _ in range(200):
        limit.observe(60.0, in_flight=limit.current, failed=True)
    assert limit.current == 4
    with pytest.raises(ValueError, match="minimum"):
        GradientLimit(1, minimum=2, maximum=8)


QUESTION = "My card still hasn't arrived, what should I do?"
CUSTOMER = "cus_newcomer"


async def until(condition: Callable[[], bool], tries: int = 3000) -> None:
    """Wait for the app to reach a state; a count of polls, not a deadline on the test."""
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app never reached the expected state")


async def test_the_turn_beyond_the_limit_and_queue_gets_429_while_health_and_metrics_answer(
    tmp_path: Path,
) -> None:
    """The limit is 2 with no queue; two turns hang on the managed model (the fake upstream
    holds them until the block ends), so the third is refused at once and loses nothing."""
    async with running_fake_upstream(Script(otherwise=Behaviour("hang"))) as primary:
        config = tmp_path / "models.yaml"
        # Long timeouts: the two turns stay in flight until the fake lets them go.
        config.write_text(chain_models_yaml(primary.url, unused_url(), timeout_s=120))
        settings = await ingest_help_centre(
            desk_settings(
                tmp_path / "data",
                gateway_config=config,
                max_concurrent_turns=2,
                admission_adaptive=False,
                admission_queue=0,
            )
        )
        app = create_app(settings)
        async with app.router.lifespan_context(app), client_for(app, settings, CUSTOMER) as client:
            ids = [(await client.post("/v1/conversations")).json()["id"] for _ in range(3)]
            urls = [f"/v1/conversations/{cid}/messages" for cid in ids]
            running = [
                asyncio.create_task(client.post(url, json={"content": QUESTION}))
                for url in urls[:2]
            ]
            gate = app.state.gate.controller
            await until(lambda: gate.in_flight == 2 and len(primary.calls()) >= 2)

            refused = await client.post(urls[2], json={"content": QUESTION})
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["retry-after"]) >= 1
            error = refused.json()["error"]
            assert error["code"] == "busy" and "send your message again in" in error["message"]
            streamed = await client.post(
                urls[2], json={"content": QUESTION}, headers={"Accept": "text/event-stream"}
            )
            assert streamed.status_code == 429 and "retry-after" in streamed.headers

            assert (await client.get("/healthz")).status_code == 200
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200
            assert 'desk_turns_rejected_total{desk_reason="busy"' in metrics.text
            # Nothing was taken from the refused conversation: no turn, no failed message.
            third = (await client.get(f"/v1/conversations/{ids[2]}")).json()
            assert (third["turns"], third["failed_turns"]) == (0, [])

            primary.closing.set()  # the hanging calls fail; the desk falls back and answers
            for done in await asyncio.gather(*running):
                assert done.status_code == 200, done.text
            assert gate.in_flight == 0
            retried = await client.post(urls[2], json={"content": QUESTION})
            assert retried.status_code == 200, retried.text
