"""Retrieval for one turn of a conversation: what the desk and `supportdesk eval retrieval`
both call, so the figures measured are the figures a customer gets.

1. The entities the conversation is about (`knowledge.entities`), when the tenant's
   documents name any: the search is filtered to their documents.
2. A hybrid search of the question: dense and lexical rankings fused (`VectorStore.search`).
3. The routed intent as a third, half-weight voter: chunks of articles listing it move up.
4. A follow-up with no entity to anchor it and nothing close ("how long does that take?")
   is searched again with the customer's previous message in front of it.

ADR 0017 has the design and the measured figures.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from knowledge.chunks import Hit
from knowledge.embedder import Embedder
from knowledge.entities import EntityTracker
from knowledge.fusion import rrf
from knowledge.vectorstore import VectorStore

INTENT_VOTE: Final = rrf(0) / 2
"""An article listing the routed intent gets half the vote of a first place."""
CANDIDATES_PER_HIT: Final = 2
TRACKED_TENANTS: Final = 64
"""Entity trackers kept in memory, least recently used dropped first."""

Turn = tuple[str, str]
"""(role, text): "user" or "assistant", oldest first."""


@dataclass(frozen=True)
class Retrieval:
    hits: list[Hit]
    """Best first, at most the limit asked for."""
    entities: tuple[str, ...]
    """What the search was filtered to; empty when nothing was named."""
    used_history: bool
    """Earlier turns shaped the search: the entities came from them, or the question was
    searched again with the previous customer message. Such an answer is never cached."""

    @property
    def best_score(self) -> float:
        return max((hit.score for hit in self.hits), default=0.0)


class Retriever:
    def __init__(self, store: VectorStore, embedder: Embedder, *, min_score: float) -> None:
        self._store = store
        self._embedder = embedder
        self._min_score = min_score
        self._trackers: OrderedDict[str, tuple[str | None, EntityTracker]] = OrderedDict()
        self._lock = asyncio.Lock()

    async def retrieve(
        self,
        tenant: str,
        question: str,
        history: Sequence[Turn] = (),
        *,
        limit: int,
        intent: str | None = None,
    ) -> Retrieval:
        tracker = await self.tracker(tenant)
        entities, turns_back = tracker.locate(question, history)
        hits = await self._search(tenant, question, limit, intent, entities)
        best = max((hit.score for hit in hits), default=0.0)
        previous = _previous_customer_message(history)
        if not entities and best < self._min_score and previous:
            retry = await self._search(tenant, f"{previous}\n{question}", limit, intent, ())
            if retry and max(hit.score for hit in retry) > best:
                return Retrieval(retry, entities, used_history=True)
        return Retrieval(hits, entities, used_history=turns_back > 0)

    async def tracker(self, tenant: str) -> EntityTracker:
        """The tenant's entity tracker, rebuilt when its knowledge-base version changes."""
        version = await self._store.kb_version(tenant)
        async with self._lock:
            cached = self._trackers.get(tenant)
            if cached is not None and cached[0] == version:
                self._trackers.move_to_end(tenant)
                return cached[1]
            rows = await self._store.entities(tenant)
            tracker = await asyncio.to_thread(EntityTracker, rows)
            self._trackers[tenant] = (version, tracker)
            while len(self._trackers) > TRACKED_TENANTS:
                self._trackers.popitem(last=False)
            return tracker

    async def _search(
        self,
        tenant: str,
        text: str,
        limit: int,
        intent: str | None,
        entities: Sequence[str],
    ) -> list[Hit]:
        vector = (await self._embedder.embed([text]))[0]
        hits = await self._store.search(
            tenant, vector, limit * CANDIDATES_PER_HIT, text=text, entities=entities
        )
        return rank(hits, intent)[:limit]


def rank(hits: Sequence[Hit], intent: str | None) -> list[Hit]:
    def key(hit: Hit) -> float:
        return hit.fused + (INTENT_VOTE if intent and intent in hit.chunk.intents else 0.0)

    return sorted(hits, key=key, reverse=True)


def _previous_customer_message(history: Sequence[Turn]) -> str | None:
    return next((text for role, text in reversed(history) if role == "user"), None)
