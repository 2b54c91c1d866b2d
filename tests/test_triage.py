"""The semantic router with the real MiniLM embedder and the shipped examples.

MiniLM is loaded once for the session. The shipped examples are embedded once per machine:
their cache lives in pytest's cache directory, keyed like the desk's by the examples'
contents, so later runs only load it.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from desk.triage import (
    ChatMessage,
    ExampleIndex,
    Route,
    RouteDecision,
    SemanticRouter,
    build_router,
    load_examples,
    load_index,
    route_for,
)
from desk.triage.index import cache_path
from knowledge.embedder import LocalEmbedder, Vectors
from supportdesk.config import Settings

ROUTER_THRESHOLD: float = Settings.model_fields["router_threshold"].default
OUT_OF_SCOPE_THRESHOLD: float = Settings.model_fields["out_of_scope_threshold"].default

CLEAR = [
    ("My card still hasn't arrived, what should I do?", Route.KNOWLEDGE, "card_arrival"),
    ("How do I cancel a transfer I made by mistake?", Route.KNOWLEDGE, "cancel_transfer"),
    ("Which currencies can I hold in my account?", Route.KNOWLEDGE, "fiat_currency_support"),
    ("I want to speak to a real person", Route.HANDOFF, "human_agent"),
    ("I wish to lodge a complaint", Route.HANDOFF, "human_agent"),
    ("hello there", Route.SMALLTALK, "greeting"),
    ("bye for now", Route.SMALLTALK, "goodbye"),
    ("what's the weather in Paris tomorrow", Route.OUT_OF_SCOPE, "out_of_scope"),
    ("Can you recommend a good pasta recipe?", Route.OUT_OF_SCOPE, "out_of_scope"),
]
# Close calls between routes: a person or a bot? the bank's password or Netflix's?
UNSURE = [
    "are you a real person?",
    "How do I reset my Netflix password?",
    "I'd rather deal with a person",
]


@pytest.fixture(scope="session")
def embedder() -> LocalEmbedder:
    return LocalEmbedder()


@pytest.fixture(scope="session")
def data_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if pytestconfig.cache is None:  # run with -p no:cacheprovider
        return tmp_path_factory.mktemp("triage-data")
    return pytestconfig.cache.mkdir("triage-data")


@pytest.fixture(scope="session")
async def router(embedder: LocalEmbedder, data_dir: Path) -> SemanticRouter:
    return await build_router(Settings(data_dir=data_dir), embedder)


@pytest.fixture(scope="session")
async def index(router: SemanticRouter, embedder: LocalEmbedder, data_dir: Path) -> ExampleIndex:
    # After `router`, so this only reads the cache that building it wrote.
    return await load_index(load_examples(), embedder, Settings(data_dir=data_dir).router_cache)


class Spy:
    """A model that answers `answer` and remembers what it was asked."""

    def __init__(self, answer: str = "knowledge") -> None:
        self.answer = answer
        self.asked: list[list[ChatMessage]] = []

    async def __call__(self, messages: list[ChatMessage]) -> str:
        self.asked.append(messages)
        return self.answer


def make_router(
    embedder: LocalEmbedder, index: ExampleIndex, ask: Spy | None = None, timeout_s: float = 5.0
) -> SemanticRouter:
    return SemanticRouter(
        embedder,
        index,
        router_threshold=ROUTER_THRESHOLD,
        out_of_scope_threshold=OUT_OF_SCOPE_THRESHOLD,
        ask_model=ask,
        model_timeout_s=timeout_s,
    )


@pytest.mark.parametrize(("text", "route", "intent"), CLEAR)
async def test_clear_messages_are_routed_by_the_examples(
    router: SemanticRouter, text: str, route: Route, intent: str
) -> None:
    decision = await router.classify(text)
    assert (decision.route, decision.intent, decision.method) == (route, intent, "semantic")
    assert decision.confidence >= ROUTER_THRESHOLD
    assert 1 <= len(decision.candidates) <= 3
    shares = [share for _, share in decision.candidates]
    assert shares == sorted(shares, reverse=True)


async def test_the_model_is_asked_only_when_the_examples_are_unsure(
    embedder: LocalEmbedder, index: ExampleIndex
) -> None:
    texts = [text for text, _, _ in CLEAR] + UNSURE
    alone = make_router(embedder, index)
    unsure = [t for t in texts if (await alone.classify(t)).confidence < ROUTER_THRESHOLD]
    assert set(UNSURE) <= set(unsure)
    assert len(unsure) < len(texts)

    spy = Spy()
    asked = []
    for text in texts:
        before = len(spy.asked)
        await make_router(embedder, index, spy).classify(text)
        if len(spy.asked) > before:
            asked.append(text)
            assert text in spy.asked[-1][-1]["content"]
    assert asked == unsure


async def test_the_models_route_is_used_with_the_examples_confidence(
    embedder: LocalEmbedder, index: ExampleIndex
) -> None:
    text = "are you a real person?"
    semantic = await make_router(embedder, index).classify(text)
    decision = await make_router(embedder, index, Spy("HANDOFF")).classify(text)
    assert semantic.route is Route.SMALLTALK
    assert (decision.route, decision.intent, decision.method) == (
        Route.HANDOFF,
        "human_agent",
        "model",
    )
    assert (decision.confidence, decision.candidates) == (semantic.confidence, semantic.candidates)


async def test_a_model_that_says_knowledge_keeps_the_best_banking_intent(
    embedder: LocalEmbedder, index: ExampleIndex
) -> None:
    text = "transfer my PayPal balance to Venmo"
    semantic = await make_router(embedder, index).classify(text)
    decision = await make_router(embedder, index, Spy("knowledge")).classify(text)
    assert semantic.route is Route.OUT_OF_SCOPE
    banking = [i for i, _ in semantic.candidates if route_for(i) is Route.KNOWLEDGE]
    assert banking
    assert (decision.route, decision.intent, decision.method) == (
        Route.KNOWLEDGE,
        banking[0],
        "model",
    )


class Raising(Spy):
    async def __call__(self, messages: list[ChatMessage]) -> str:
        raise RuntimeError("model group unavailable")


class Slow(Spy):
    async def __call__(self, messages: list[ChatMessage]) -> str:
        await asyncio.sleep(60)
        return "handoff"


@pytest.mark.parametrize(
    "model",
    [Raising(), Slow(), Spy("I think it is handoff"), Spy("billing"), Spy("")],
    ids=["raises", "too-slow", "a-sentence", "not-a-route", "empty"],
)
async def test_a_failing_model_leaves_the_examples_decision(
    embedder: LocalEmbedder, index: ExampleIndex, model: Spy
) -> None:
    for text in UNSURE:
        semantic = await make_router(embedder, index).classify(text)
        decision = await make_router(embedder, index, model, timeout_s=0.05).classify(text)
        assert decision == semantic.model_copy(update={"method": "fallback"})


class CountingEmbedder:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: LocalEmbedder, name: str | None = None) -> None:
        self.inner = inner
        self.name = name or inner.name
        self.dimension = inner.dimension
        self.embedded = 0

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.embedded += len(texts)
        return await self.inner.embed(texts)


SMALL = [
    {"id": "k1", "query": "where is my new card?", "intent": "card_arrival"},
    {"id": "k2", "query": "how do I change my PIN?", "intent": "change_pin"},
    {"id": "h1", "query": "let me talk to a human", "intent": "human_agent"},
    {"id": "s1", "query": "good morning", "intent": "greeting"},
    {"id": "o1", "query": "what is the tallest mountain?", "intent": "out_of_scope"},
]


def write_examples(directory: Path, rows: list[dict[str, str]]) -> Path:
    directory.mkdir(exist_ok=True)
    (directory / "small.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return directory


async def test_the_embedding_cache_is_reused_then_invalidated_by_an_edit(
    embedder: LocalEmbedder, tmp_path: Path
) -> None:
    examples_dir = write_examples(tmp_path / "examples", SMALL)
    settings = Settings(data_dir=tmp_path / "data", router_cache_dir=tmp_path / "router")
    counting = CountingEmbedder(embedder)

    first = await build_router(settings, counting, examples_dir=examples_dir)
    assert counting.embedded == len(SMALL)
    cached = list((tmp_path / "router").glob("*.npz"))
    assert len(cached) == 1

    again = await build_router(settings, counting, examples_dir=examples_dir)
    assert counting.embedded == len(SMALL)
    text = "let me speak to somebody"
    assert await again.classify(text) == await first.classify(text)
    assert (await again.classify(text)).route is Route.HANDOFF

    edited = [*SMALL, {"id": "t1", "query": "thanks a lot", "intent": "thanks"}]
    write_examples(examples_dir, edited)
    await build_router(settings, counting, examples_dir=examples_dir)
    assert counting.embedded == len(SMALL) + 3 + len(edited)
    now_cached = list((tmp_path / "router").glob("*.npz"))
    assert len(now_cached) == 1 and now_cached != cached  # the superseded file is gone


async def test_each_embedder_has_its_own_cache(embedder: LocalEmbedder, tmp_path: Path) -> None:
    examples = load_examples(write_examples(tmp_path / "examples", SMALL))
    one, other = CountingEmbedder(embedder), CountingEmbedder(embedder, name="other/model")
    await load_index(examples, one, tmp_path / "cache")
    await load_index(examples, other, tmp_path / "cache")
    assert (one.embedded, other.embedded) == (len(SMALL), len(SMALL))
    assert cache_path(tmp_path / "cache", examples, one.name).exists()
    assert cache_path(tmp_path / "cache", examples, other.name).exists()


async def test_a_damaged_cache_is_rebuilt_not_fatal(
    embedder: LocalEmbedder, tmp_path: Path
) -> None:
    examples = load_examples(write_examples(tmp_path / "examples", SMALL))
    counting = CountingEmbedder(embedder)
    good = await load_index(examples, counting, tmp_path / "cache")
    cache_path(tmp_path / "cache", examples, counting.name).write_bytes(b"not an npz file")
    rebuilt = await load_index(examples, counting, tmp_path / "cache")
    assert counting.embedded == 2 * len(SMALL)
    np.testing.assert_array_equal(rebuilt.vectors, good.vectors)
    assert (await load_index(examples, counting, tmp_path / "cache")).intents == good.intents
    assert counting.embedded == 2 * len(SMALL)


def test_a_confidence_outside_zero_to_one_is_refused() -> None:
    fields = {"route": "smalltalk", "intent": "greeting", "method": "semantic", "candidates": []}
    assert RouteDecision.model_validate({**fields, "confidence": 1.0}).route is Route.SMALLTALK
    with pytest.raises(ValueError, match="less than or equal to 1"):
        RouteDecision.model_validate({**fields, "confidence": 1.2})
