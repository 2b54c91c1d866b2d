"""Scripted stand-ins for the agents' adapters: each test says what a model or the store says."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from desk.agents.services import AgentServices
from desk.records import Records
from gateway.stream_events import StreamCompleted, StreamEvent, StreamFailed, TextDelta
from supportdesk.config import Settings


@dataclass
class Completion:
    text: str
    model_group: str
    deployment: str = "fake"
    tier: str = "self-hosted"
    model: str = "fake-model"
    saturated: tuple[str, ...] = ()


@dataclass
class ScriptedGateway:
    answers: dict[str, str]
    calls: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    private: list[bool] = field(default_factory=list)

    # group -> after how many words its stream fails (0: before the first word).
    stream_fails_after: dict[str, int] = field(default_factory=dict)

    async def complete(
        self, group: str, messages: list[dict[str, str]], **kwargs: Any
    ) -> Completion:
        self.calls.append((group, kwargs.get("metadata")))
        self.private.append(bool(kwargs.get("private")))
        if group not in self.answers:
            raise RuntimeError(f"{group} is down")
        return Completion(self.answers[group], group)

    async def stream(
        self, group: str, messages: list[dict[str, str]], **kwargs: Any
    ) -> AsyncIterator[StreamEvent]:
        """The scripted answer a word at a time, like `Gateway.stream`, failures included."""
        self.calls.append((group, kwargs.get("metadata")))
        self.private.append(bool(kwargs.get("private")))
        if group not in self.answers:
            raise RuntimeError(f"{group} is down")
        words = re.findall(r"\S+\s*", self.answers[group])
        fail_after = self.stream_fails_after.get(group, len(words) + 1)
        for i, word in enumerate(words):
            if i == fail_after:
                yield StreamFailed("cut", True, group, "fake", "".join(words[:i]))
                return
            yield TextDelta(word)
        yield StreamCompleted(Completion(self.answers[group], group))  # type: ignore[arg-type]


class OneHotEmbedder:
    name = "fake"
    dimension = 4

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        return np.tile(np.array([1, 0, 0, 0], dtype=np.float32), (len(texts), 1))


@dataclass
class Chunk:
    doc_id: str
    title: str
    section: str
    anchor: str
    text: str
    intents: list[str]
    chunk_index: int = 0


@dataclass
class Hit:
    chunk: Chunk
    score: float

    @property
    def fused(self) -> float:
        """A scripted store ranks by cosine alone, as a dense-only search does."""
        return self.score


@dataclass
class ScriptedStore:
    hits: list[Hit]
    tenants: list[str] = field(default_factory=list)

    async def search(self, tenant: str, vector: Any, limit: int, **kwargs: Any) -> list[Hit]:
        self.tenants.append(tenant)
        return self.hits[:limit]

    async def kb_version(self, tenant: str) -> str | None:
        return "v1"

    async def entities(self, tenant: str) -> list[tuple[str, str, str]]:
        return []  # a help centre: no document names an entity


@dataclass
class Decision:
    route: str
    intent: str | None
    confidence: float = 0.9
    method: str = "semantic"
    candidates: tuple[tuple[str, float], ...] = ()


@dataclass
class ScriptedRouter:
    routes: dict[str, Decision]

    async def classify(self, text: str) -> Decision:
        return self.routes.get(text, Decision("knowledge", "card_arrival"))


DELIVERY = Hit(
    Chunk(
        "card-delivery",
        "Card delivery",
        "My card hasn't arrived",
        "card-hasnt-arrived",
        "Cards arrive within 5 working days. If not, order a replacement.",
        ["card_arrival"],
    ),
    0.71,
)
FEES = Hit(
    Chunk(
        "fees",
        "Fees",
        "Card fees",
        "card-fees",
        "A replacement card costs 5 EUR.",
        ["card_payment_fee_charged"],
    ),
    0.74,
)


def scripted_services(
    gateway: ScriptedGateway,
    store: ScriptedStore,
    records: Records,
    routes: dict[str, Decision] | None = None,
) -> AgentServices:
    return AgentServices(
        settings=Settings(_env_file=None),  # type: ignore[call-arg]
        gateway=gateway,  # type: ignore[arg-type]
        embedder=OneHotEmbedder(),
        store=store,  # type: ignore[arg-type]
        router=ScriptedRouter(routes or {}),  # type: ignore[arg-type]
        records=records,
    )
