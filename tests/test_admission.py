"""Admission control: who runs, who waits, who is refused at once, in what order freed
slots are handed out, and how the adaptive limit follows turn latency and the event
loop's lag (lags and latencies are numbers passed in; no test reads the time). Then
through the API: with the limit full and no queue, the next turn gets a 429 with
Retry-After while health and metrics answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desk.admission import (
    AdaptiveLimit,
    AdmissionController,
    FixedLimit,
    LoopLag,
    Overloaded,
    Slot,
)
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


async def draining(
    finished: int, queued: int
) -> tuple[AdmissionController, Clock, Slot, list[asyncio.Task[Slot]]]:
    """One slot, `finished` turns of 0.25 s each done back to back (the drain rate the
    queue measures), the slot taken again, and `queued` turns waiting for it."""
    clock = Clock()
    gate = AdmissionController(FixedLimit(1), max_queue=10, max_wait_s=2.0, clock=clock)
    for _ in range(finished):
        slot = await gate.acquire("harbor")
        clock.now += 0.25
        gate.release(slot, latency_s=0.25)
    held = await gate.acquire("harbor")
    waiting = [asyncio.create_task(gate.acquire("harbor")) for _ in range(queued)]
    await settle()
    return gate, clock, held, waiting


async def test_the_queue_takes_only_what_the_measured_drain_rate_admits_in_time() -> None:
    # Four turns finished in the last second: 3.2 a second, measured.
    gate, clock, held, queued = await draining(finished=4, queued=3)
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


async def test_after_a_refusal_the_desk_queues_nothing_until_a_second_passes() -> None:
    # Eight turns finished in two seconds: about 4.5 a second, measured.
    gate, clock, held, queued = await draining(finished=8, queued=4)
    assert gate.queued == 4 and not gate.overloaded  # a burst: due within 1 s, queued
    with pytest.raises(Overloaded, match=r"over the 1 s the queue can promise$"):
        await gate.acquire("harbor")
    assert gate.overloaded  # that refusal says the desk is overloaded, not in a burst
    gate.release(held, latency_s=0.25)
    await settle()
    assert gate.queued == 3  # turns already queued keep their place
    with pytest.raises(Overloaded, match=r"all 1 turns .* taken.* it queues none"):
        await gate.acquire("harbor")  # due within the 1 s a burst may wait: refused now
    assert gate.queued == 3
    for task in queued[1:]:  # the first holds the slot; the rest give up
        task.cancel()
    await settle()
    clock.now += 1.5  # no refusal for a while: a burst may queue again
    assert not gate.overloaded
    waiting = asyncio.create_task(gate.acquire("harbor"))
    await settle()
    assert gate.queued == 1 and not waiting.done()
    for task in [*queued, waiting]:
        task.cancel()


async def test_while_overloaded_a_tenant_holds_at_most_its_share_of_the_slots() -> None:
    gate = controller(limit=4, queue=0)
    burst = [await gate.acquire("burst") for _ in range(4)]
    with pytest.raises(Overloaded):
        await gate.acquire("quiet")  # every slot taken: the desk is now overloaded
    assert gate.overloaded and gate.share_of_slots("burst") == 2
    for slot in burst[:3]:
        gate.release(slot, latency_s=1.0)
    # Two slots free, but the bursting tenant, holding one, may take one more only:
    # the quiet tenant, refused a moment ago, has a share waiting for it.
    burst[1] = await gate.acquire("burst")
    with pytest.raises(Overloaded, match="this tenant already runs 2 turns, its share"):
        await gate.acquire("burst")
    quiet = await gate.acquire("quiet")
    assert gate.in_flight == 3
    for slot in (burst[1], burst[3], quiet):
        gate.release(slot, latency_s=1.0)
    assert gate.in_flight == 0 and gate.share_of_slots("burst") == 2


async def test_a_turn_let_in_holds_its_slot_until_it_takes_it_or_gives_up() -> None:
    gate = controller(limit=1, queue=0)
    let_in = gate.reserve("harbor")
    assert let_in is not None and gate.refusal("harbor") is not None
    with pytest.raises(Overloaded, match="are taken"):
        gate.reserve("other")  # arriving while the first reads its rows: refused now
    slot = await gate.acquire("harbor", let_in)
    assert gate.in_flight == 1 and gate.reserved == 0
    gate.release(slot, latency_s=1.0)
    given_up = gate.reserve("harbor")
    assert given_up is not None
    given_up.give_up()  # e.g. its conversation was not found
    given_up.give_up()
    assert gate.reserved == 0 and gate.reserve("other") is not None


async def test_a_held_slot_is_not_handed_to_the_queue() -> None:
    gate = controller(limit=1, queue=2)
    held = await gate.acquire("harbor")
    gate.release(held, latency_s=1.0)
    let_in = gate.reserve("harbor")
    waiting = asyncio.create_task(gate.acquire("other"))  # no free slot: queues
    await settle()
    assert gate.queued == 1
    slot = await gate.acquire("harbor", let_in)
    await settle()
    assert slot.tenant == "harbor" and not waiting.done()
    gate.release(slot, latency_s=1.0)
    await settle()
    assert waiting.done() and waiting.result().tenant == "other"
    gate.release(waiting.result(), latency_s=1.0)


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


class Lag:
    """The loop's lag, set by the test."""

    def __init__(self) -> None:
        self.s = 0.0

    def __call__(self) -> float:
        return self.s


def test_the_adaptive_limit_compares_each_kind_of_turn_with_its_own_normal() -> None:
    lag = Lag()
    limit = AdaptiveLimit(8, lag_s=lag, minimum=2, maximum=64, tolerance=1.3)
    for _ in range(20):  # calm: cache hits take 50 ms, model answers a second
        limit.observe(0.05, in_flight=1, kind="knowledge/cache")
        limit.observe(1.0, in_flight=1, kind="knowledge/answer")
    assert limit.normal_s("knowledge/cache") == pytest.approx(0.05)
    assert limit.current == 8  # barely used: no evidence it could take more
    for _ in range(100):  # busy, with both kinds as fast as normal: room to admit more
        limit.observe(0.05, in_flight=limit.current, kind="knowledge/cache")
        limit.observe(1.0, in_flight=limit.current, kind="knowledge/answer")
    grown = limit.current
    assert grown >= 16 and limit.inflation == pytest.approx(1.0)
    for _ in range(5):  # cache hits four times slower: the process is congested
        limit.observe(0.2, in_flight=limit.current, kind="knowledge/cache")
        limit.observe(1.0, in_flight=limit.current, kind="knowledge/answer")
    shrunk = limit.current
    assert shrunk <= grown / 2 and limit.inflation > 1.3
    assert limit.normal_s("knowledge/cache") == pytest.approx(0.05)  # learnt only when calm
    for _ in range(100):
        limit.observe(0.05, in_flight=limit.current, kind="knowledge/cache")
    assert limit.current > shrunk  # recovers once turns are normal again


def test_a_model_slower_for_everyone_becomes_the_new_normal_at_the_floor() -> None:
    limit = AdaptiveLimit(8, lag_s=Lag(), minimum=2, maximum=64, tolerance=1.3)
    for _ in range(20):
        limit.observe(1.0, in_flight=1, kind="knowledge/managed")
    for _ in range(15):  # the provider is twice as slow, whatever the desk does
        limit.observe(2.0, in_flight=limit.current, kind="knowledge/managed")
    assert limit.current == 2  # cut to the floor first
    for _ in range(200):  # at the floor its latency becomes normal, and the limit grows
        limit.observe(2.0, in_flight=limit.current, kind="knowledge/managed")
    normal = limit.normal_s("knowledge/managed")
    assert normal is not None and 2.0 / normal < 1.3  # relearnt until 2 s is tolerated
    assert limit.current > 4


def test_the_adaptive_limit_also_follows_the_loop_lag_cuts_once_per_drain_in_bounds() -> None:
    lag = Lag()
    limit = AdaptiveLimit(10, lag_s=lag, minimum=4, maximum=12, lag_target_s=0.02)
    limit.observe(1.0, in_flight=1)
    lag.s = 0.1  # turns as fast as normal, but the loop is late: CPU-bound congestion
    limit.observe(1.0, in_flight=10)
    assert limit.current == 9
    for _ in range(5):  # the tenth turn, admitted before the cut, still runs: no new cut
        limit.observe(1.0, in_flight=10)
    assert limit.current == 9
    limit.observe(1.0, in_flight=9)  # drained to the limit, and still lagging: cut again
    assert limit.current == 8
    for _ in range(200):
        limit.observe(60.0, in_flight=limit.current, failed=True)
    assert limit.current == 4  # never below the floor
    lag.s = 0.0
    for _ in range(500):
        limit.observe(1.0, in_flight=limit.current)
    assert limit.current == 12  # nor over the ceiling
    with pytest.raises(ValueError, match="minimum"):
        AdaptiveLimit(1, lag_s=lag, minimum=2, maximum=8)


async def test_the_loop_lag_is_measured_by_a_ticker_and_smoothed() -> None:
    monitor = LoopLag(interval_s=0.001, smoothing=0.5)
    for late in (0.04, 0.04, 0.04):
        monitor.observe(late)
    assert monitor.lag_s == pytest.approx(0.035)
    monitor.observe(-0.001)  # early (timer rounding) counts as on time
    assert monitor.lag_s == pytest.approx(0.0175)
    seen: list[float] = []
    monitor.observe = seen.append  # type: ignore[method-assign]
    async with monitor.running():
        await asyncio.sleep(0)  # the ticker starts: it asks to wake in 1 ms
        time.sleep(0.02)  # noqa: ASYNC251 - the point: the loop is blocked for 20 ms
        for _ in range(1000):
            if seen:
                break
            await asyncio.sleep(0.001)
    assert seen and seen[0] >= 0.019  # it woke at least 19 ms late
    assert monitor._task is None


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
            # Refused before the token is verified or the body parsed: a refusal is cheap.
            unread = await client.post(
                urls[2], content=b"{not json", headers={"Authorization": "Bearer not-a-token"}
            )
            assert unread.status_code == 429 and unread.json()["error"]["code"] == "busy"

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
