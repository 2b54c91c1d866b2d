"""The cache against a real Redis 8: round trips, scoping, expiry, and failure semantics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import numpy as np
import pytest

from semantic_cache import CacheSettings, SemanticCache, open_semantic_cache
from semantic_cache.breaker import CircuitBreaker
from tests.support.redis_server import RedisServer, temporary_redis

DIM = 384
# Generous enough for a loaded CI machine, far below what a hanging server would cost.
OP_TIMEOUT_MS = 250
CORRECTNESS_TIMEOUT_MS = 5000
POLL_LIMIT = 400


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with temporary_redis() as running:
        yield running


def settings(server: RedisServer, **overrides: object) -> CacheSettings:
    values: dict[str, object] = {
        "redis_url": server.url,
        "threshold": 0.9,
        "op_timeout_ms": OP_TIMEOUT_MS,
        "breaker_failures": 3,
        "breaker_reset_s": 0.2,
    }
    values.update(overrides)
    return CacheSettings.model_validate(values)


@pytest.fixture
async def cache(server: RedisServer) -> AsyncIterator[SemanticCache]:
    server.client().flushall()
    # Behaviour, not timing: a generous bound, so a busy machine cannot turn a miss into an
    # error. The outage tests below use the tight OP_TIMEOUT_MS.
    opened = open_semantic_cache(settings(server, op_timeout_ms=CORRECTNESS_TIMEOUT_MS))
    yield opened
    await opened.close()


def unit(seed: int) -> np.ndarray:
    vector = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def near(vector: np.ndarray, cosine: float, seed: int) -> np.ndarray:
    """A unit vector at the given cosine similarity to `vector`."""
    other = unit(seed)
    other -= float(other @ vector) * vector
    other /= np.linalg.norm(other)
    mixed = cosine * vector + np.sqrt(1 - cosine**2) * other
    return (mixed / np.linalg.norm(mixed)).astype(np.float32)


async def put(cache: SemanticCache, question: str, vector: np.ndarray, **scope: str) -> bool:
    return await cache.store(
        scope.get("tenant", "harbor"),
        scope.get("kb", "v1"),
        question,
        vector,
        scope.get("intent", "card_delivery_estimate"),
        answer=f"answer to {question}",
        citations=[{"id": "cards/delivery", "title": "Card delivery"}],
        metadata={"model": "local/smollm2"},
    )


async def test_round_trip_by_meaning(cache: SemanticCache) -> None:
    vector = unit(1)
    assert await put(cache, "How long does card delivery take?", vector)
    hit = await cache.lookup(
        "harbor",
        "v1",
        "When will a new card arrive?",
        near(vector, 0.95, 2),
        "card_delivery_estimate",
    )
    assert hit is not None
    assert not hit.exact
    assert hit.answer == "answer to How long does card delivery take?"
    assert hit.cached_question == "How long does card delivery take?"
    assert hit.citations == [{"id": "cards/delivery", "title": "Card delivery"}]
    assert hit.metadata == {"model": "local/smollm2"}
    assert hit.similarity == pytest.approx(0.95, abs=0.02)


async def test_below_threshold_or_other_intent_misses(cache: SemanticCache) -> None:
    vector = unit(3)
    assert await put(cache, "How long does card delivery take?", vector)
    far = near(vector, 0.8, 4)
    assert (
        await cache.lookup("harbor", "v1", "Card colours?", far, "card_delivery_estimate") is None
    )
    same = near(vector, 0.99, 5)
    assert await cache.lookup("harbor", "v1", "Card delivery time?", same, "card_fees") is None
    found = await cache.find("harbor", "v1", "Card colours?", far, "card_delivery_estimate")
    assert found.status == "miss"


async def test_low_router_confidence_keeps_a_question_out_of_the_vector_set(
    cache: SemanticCache,
) -> None:
    floor = cache.settings.min_confidence
    question = "How long does card delivery take?"
    intent = "card_delivery_estimate"
    common = {"answer": "a", "citations": [], "metadata": {}}
    # Unsure routing: stored for exact repeats only.
    assert await cache.store(
        "harbor", "v1", question, unit(30), intent, confidence=floor - 0.01, **common
    )
    repeat = await cache.find("harbor", "v1", question, unit(30), intent, confidence=0.0)
    assert repeat.hit is not None and repeat.hit.exact
    # A similar but different question finds nothing: the entry never entered the set.
    similar = await cache.find(
        "harbor", "v1", "Card delivery: how long?", unit(30), intent, confidence=1.0
    )
    assert similar.status == "miss"
    # Sure routing files the entry for similar questions too; an unsure reader only gets
    # exact repeats.
    assert await cache.store(
        "harbor",
        "v1",
        "When will a new card come?",
        unit(31),
        intent,
        confidence=floor,
        **common,
    )
    sure = await cache.find("harbor", "v1", "A new card: when?", unit(31), intent, confidence=1.0)
    assert sure.hit is not None and not sure.hit.exact
    unsure = await cache.find(
        "harbor", "v1", "A new card: when?", unit(31), intent, confidence=floor - 0.01
    )
    assert unsure.status == "miss"


async def test_exact_layer_ignores_case_spacing_and_punctuation(cache: SemanticCache) -> None:
    assert await put(cache, "How long does card delivery take?", unit(6))
    hit = await cache.lookup(
        "harbor", "v1", "  how LONG does card   delivery take ", unit(7), "card_delivery_estimate"
    )
    assert hit is not None
    assert (hit.exact, hit.similarity) == (True, 1.0)


async def test_tenants_never_see_each_other(cache: SemanticCache) -> None:
    vector = unit(8)
    assert await put(cache, "How long does card delivery take?", vector, tenant="harbor")
    for question in ("How long does card delivery take?", "card delivery time"):
        assert (
            await cache.lookup("other:bank", "v1", question, vector, "card_delivery_estimate")
            is None
        )
    # A tenant name cannot smuggle its way into another's scope.
    assert await cache.lookup("harbor|kb=v1", "", "x", vector, "card_delivery_estimate") is None


async def test_a_new_kb_version_starts_empty(cache: SemanticCache) -> None:
    vector = unit(9)
    assert await put(cache, "How long does card delivery take?", vector, kb="v1")
    assert (
        await cache.lookup(
            "harbor", "v2", "How long does card delivery take?", vector, "card_delivery_estimate"
        )
        is None
    )


async def test_entries_expire_and_expired_members_are_removed(server: RedisServer) -> None:
    server.client().flushall()
    cache = open_semantic_cache(settings(server, ttl_s=1))
    try:
        vector = unit(10)
        assert await put(cache, "How long does card delivery take?", vector)
        client = server.client()
        entries = client.keys("semcache:*:e:*")
        assert len(entries) == 1
        assert 0 < client.ttl(entries[0]) <= 1
        vector_set = client.keys("semcache:*:set:*")[0]
        assert 0 < client.ttl(vector_set) <= 1
        # Keep the set alive, as a later store would, while the entry's payload expires.
        client.persist(vector_set)
        for _ in range(POLL_LIMIT):
            if not client.exists(entries[0]):
                break
            await asyncio.sleep(0.01)
        assert not client.exists(entries[0])
        assert client.execute_command("VCARD", vector_set) == 1
        other = "When will a new card arrive?"
        assert await cache.lookup("harbor", "v1", other, vector, "card_delivery_estimate") is None
        assert client.execute_command("VCARD", vector_set) == 0
    finally:
        await cache.close()


async def outage_checks(cache: SemanticCache, bound_s: float) -> None:
    """Lookups and stores fail fast as misses, and the breaker opens after a bounded number."""
    vector = unit(11)
    statuses = []
    for _ in range(3):
        started = time.monotonic()
        found = await cache.find("harbor", "v1", "card delivery?", vector, "card_delivery_estimate")
        assert time.monotonic() - started < bound_s
        statuses.append(found.status)
    assert statuses == ["error", "error", "error"]
    assert await cache.health() == "degraded: breaker open"
    bypassed = await cache.find("harbor", "v1", "card delivery?", vector, "card_delivery_estimate")
    assert bypassed.status == "bypassed"
    assert not await put(cache, "card delivery?", vector)


async def resumes(cache: SemanticCache) -> None:
    vector = unit(12)
    for _ in range(POLL_LIMIT):
        if await put(cache, "How long does card delivery take?", vector):
            break
        await asyncio.sleep(0.01)
    hit = await cache.lookup(
        "harbor", "v1", "How long does card delivery take?", vector, "card_delivery_estimate"
    )
    assert hit is not None
    assert await cache.health() == "ok"


async def test_redis_killed_then_back_on_the_same_port() -> None:
    with temporary_redis() as server:
        cache = open_semantic_cache(settings(server))
        try:
            assert await cache.health() == "ok"
            server.kill()
            await outage_checks(cache, bound_s=OP_TIMEOUT_MS / 1000 * 4)
            server.start()
            await resumes(cache)
        finally:
            await cache.close()


async def test_redis_hanging_then_resuming() -> None:
    with temporary_redis() as server:
        cache = open_semantic_cache(settings(server))
        try:
            assert await put(cache, "warm the connection", unit(13))
            server.freeze()
            try:
                await outage_checks(cache, bound_s=OP_TIMEOUT_MS / 1000 * 4)
            finally:
                server.thaw()
            await resumes(cache)
        finally:
            await cache.close()


def test_the_breaker_reports_each_trip_and_each_close_once() -> None:
    """What the desk.cache.breaker.open gauge (and the CacheBreakerOpen alert) follows."""
    now = [0.0]
    changes: list[bool] = []
    breaker = CircuitBreaker(2, 10.0, clock=lambda: now[0], on_change=changes.append)
    breaker.failed()
    assert changes == [] and breaker.allow()
    breaker.failed()
    assert changes == [True] and not breaker.allow()
    now[0] = 11.0  # half-open: one trial, which fails and re-opens without a new report
    assert breaker.allow()
    breaker.failed()
    assert changes == [True] and breaker.state == "open"
    now[0] = 22.0
    assert breaker.allow()
    breaker.succeeded()
    breaker.succeeded()
    assert changes == [True, False] and breaker.state == "closed"
