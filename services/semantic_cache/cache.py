"""The cache itself: an exact layer (hash of the normalised question), then the nearest
earlier question of the same intent, served only above a similarity threshold.

Every Redis call is bounded by `op_timeout_ms` (socket timeouts and `asyncio.wait_for`)
and goes through a circuit breaker, so a cache that is down or hanging turns into misses
within the bound, and into immediate bypasses once the breaker opens.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

import numpy as np
import numpy.typing as npt
import redis.asyncio as redis
from pydantic import BaseModel, ConfigDict
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, ResponseError

from semantic_cache import keys
from semantic_cache.breaker import CircuitBreaker
from semantic_cache.settings import CacheSettings
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

T = TypeVar("T")
Vector = npt.NDArray[np.float32]
Status = Literal["hit", "miss", "bypassed", "error", "uncacheable"]
Health = Literal["ok", "degraded: breaker open", "down"]


class CacheHit(BaseModel):
    model_config = ConfigDict(frozen=True)

    answer: str
    citations: list[dict[str, Any]]
    similarity: float
    """Cosine similarity to the cached question; 1.0 for an exact hit."""
    exact: bool
    cached_question: str
    created_at: datetime
    metadata: dict[str, Any]


class Lookup(BaseModel):
    """A lookup's outcome, for callers that report why there was no hit."""

    model_config = ConfigDict(frozen=True)

    status: Status
    hit: CacheHit | None = None


class SemanticCache:
    def __init__(self, client: redis.Redis, settings: CacheSettings) -> None:
        self._redis = client
        self._settings = settings
        self._timeout_s = settings.op_timeout_ms / 1000.0
        self._breaker = CircuitBreaker(
            settings.breaker_failures, settings.breaker_reset_s, on_change=_breaker_changed
        )

    @property
    def client(self) -> redis.Redis:
        return self._redis

    @property
    def settings(self) -> CacheSettings:
        return self._settings

    async def lookup(
        self,
        tenant: str,
        kb_version: str,
        question: str,
        vector: Vector,
        intent: str,
        *,
        confidence: float | None = None,
    ) -> CacheHit | None:
        found = await self.find(tenant, kb_version, question, vector, intent, confidence=confidence)
        return found.hit

    async def find(
        self,
        tenant: str,
        kb_version: str,
        question: str,
        vector: Vector,
        intent: str,
        *,
        confidence: float | None = None,
    ) -> Lookup:
        """`confidence` is the router's vote share for `intent` (the desk passes
        `decision.candidates[0][1]`). Below `min_confidence` only the exact layer is asked:
        the same question, normalised, has the same answer whatever its intent, while a
        similar one might belong to a neighbouring intent. None skips the gate."""
        if not keys.INTENT.match(intent):
            return Lookup(status="uncacheable")
        threshold = self._settings.threshold_for(tenant)
        semantic = self._settings.confident(confidence)

        async def work() -> CacheHit | None:
            return await self._find(
                tenant, kb_version, question, vector, intent, threshold, semantic=semantic
            )

        ok, hit = await self._guarded(work)
        if not ok:
            return Lookup(status="bypassed" if hit is _BYPASSED else "error")
        return Lookup(status="hit", hit=hit) if hit is not None else Lookup(status="miss")

    async def store(
        self,
        tenant: str,
        kb_version: str,
        question: str,
        vector: Vector,
        intent: str,
        answer: str,
        citations: list[dict[str, Any]],
        metadata: dict[str, Any],
        *,
        confidence: float | None = None,
    ) -> bool:
        """Below the `confidence` floor the entry is stored for exact repeats only, never
        in the vector set: a misrouted entry would be served to the intent it was wrongly
        filed under."""
        if not keys.INTENT.match(intent):
            return False
        semantic = self._settings.confident(confidence)
        prefix, ttl = self._settings.key_prefix, self._settings.ttl_s
        qid = keys.question_id(question)
        payload = json.dumps(
            {
                "question": question,
                "intent": intent,
                "answer": answer,
                "citations": citations,
                "metadata": metadata,
                "created_at": datetime.now(UTC).isoformat(),
            }
        )
        vector_set = keys.vector_set(prefix, tenant, kb_version, intent)

        async def work() -> bool:
            pipe = self._redis.pipeline(transaction=False)
            pipe.set(keys.entry(prefix, tenant, kb_version, qid), payload, ex=ttl)
            if semantic:
                pipe.vset().vadd(vector_set, _blob(vector), qid)
                # Elements cannot expire one by one: the set lives as long as its newest
                # entry, and a member whose payload has expired is removed when met.
                pipe.expire(vector_set, ttl)
            await pipe.execute()
            return True

        ok, stored = await self._guarded(work)
        return ok and stored is True

    async def health(self) -> Health:
        if self._breaker.state == "open":
            return "degraded: breaker open"

        async def ping() -> bool:
            return bool(await self._redis.ping())

        ok, _ = await self._guarded(ping)
        if ok:
            return "ok"
        # A failed probe while half-open re-opens the breaker: that is what to report.
        return "degraded: breaker open" if self._breaker.state == "open" else "down"

    async def close(self) -> None:
        await self._redis.aclose()

    async def _find(
        self,
        tenant: str,
        kb_version: str,
        question: str,
        vector: Vector,
        intent: str,
        threshold: float,
        *,
        semantic: bool,
    ) -> CacheHit | None:
        prefix = self._settings.key_prefix
        exact = await self._redis.get(
            keys.entry(prefix, tenant, kb_version, keys.question_id(question))
        )
        if exact is not None:
            return _hit(exact, similarity=1.0, exact=True)
        if not semantic:
            return None
        vector_set = keys.vector_set(prefix, tenant, kb_version, intent)
        # The raw command, not `vset().vsim(with_scores=True)`: redis-py 8.1's reply parser
        # raises on the empty reply VSIM gives for a set that does not exist (yet).
        reply = await self._redis.execute_command(
            "VSIM", vector_set, "FP32", _blob(vector), "WITHSCORES",
            "COUNT", self._settings.candidates,
        )  # fmt: skip
        # VSIM scores are (1 + cosine) / 2; the threshold is a cosine.
        candidates = [
            (_text(element), 2.0 * float(score) - 1.0) for element, score in _pairs(reply)
        ]
        candidates = [(qid, cosine) for qid, cosine in candidates if cosine >= threshold]
        if not candidates:
            return None
        payloads = await self._redis.mget(
            [keys.entry(prefix, tenant, kb_version, qid) for qid, _ in candidates]
        )
        for (qid, cosine), payload in zip(candidates, payloads, strict=True):
            if payload is not None:
                return _hit(payload, similarity=min(cosine, 1.0), exact=False)
            await self._redis.vset().vrem(vector_set, qid)
        return None

    async def _guarded(self, work: Callable[[], Awaitable[T]]) -> tuple[bool, T | object]:
        """Runs one bounded Redis operation through the breaker: (succeeded, result)."""
        if not self._breaker.allow():
            return False, _BYPASSED
        try:
            result = await asyncio.wait_for(work(), self._timeout_s)
        except ResponseError as exc:
            # Redis answered, so it is up: a refused command is a bug or a data mismatch
            # (say, a new embedding dimension under an old KB version), not an outage.
            self._breaker.succeeded()
            log.warning("semantic cache: Redis refused a command: %s", exc)
            return False, None
        except (RedisError, OSError, TimeoutError) as exc:
            self._breaker.failed()
            log.warning("semantic cache unavailable (%s): %s", type(exc).__name__, exc)
            return False, None
        except BaseException:
            self._breaker.failed()
            raise
        self._breaker.succeeded()
        return True, result


_BYPASSED = object()


def _breaker_changed(tripped: bool) -> None:
    """The breaker's state as a gauge (the CacheBreakerOpen alert) and a log line."""
    instruments().cache_breaker_open.set(int(tripped))
    if tripped:
        log.warning("semantic cache breaker opened: Redis is bypassed until a trial succeeds")
    else:
        log.info("semantic cache breaker closed: Redis answers again")


def open_semantic_cache(settings: CacheSettings) -> SemanticCache:
    """Connects lazily: a Redis that is down at start-up only makes the first lookups miss."""
    timeout_s = settings.op_timeout_ms / 1000.0
    client = redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        # Retrying inside the bound would only spend it; the breaker decides when to retry.
        retry=Retry(NoBackoff(), 0),
        health_check_interval=0,
    )
    return SemanticCache(client, settings)


def _blob(vector: Vector) -> bytes:
    return np.ascontiguousarray(vector, dtype=np.float32).tobytes()


def _pairs(reply: object) -> list[tuple[bytes | str, float]]:
    """VSIM WITHSCORES as (element, score), whether redis-py gave a dict or a flat list."""
    if isinstance(reply, dict):
        return list(reply.items())
    if isinstance(reply, list):
        return list(zip(reply[::2], (float(score) for score in reply[1::2]), strict=True))
    return []


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _hit(raw: bytes | str, *, similarity: float, exact: bool) -> CacheHit:
    payload = json.loads(raw)
    return CacheHit(
        answer=payload["answer"],
        citations=payload["citations"],
        similarity=similarity,
        exact=exact,
        cached_question=payload["question"],
        created_at=datetime.fromisoformat(payload["created_at"]),
        metadata=payload["metadata"],
    )
