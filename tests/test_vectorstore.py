"""The vector store in local mode: round trips, tenant isolation, KB versions, the lock."""

from __future__ import annotations

import inspect
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from qdrant_client import AsyncQdrantClient

from knowledge.chunks import Chunk, point_id
from knowledge.vectorstore import (
    VectorStore,
    VectorStoreLocked,
    VectorStoreUnavailable,
    collection_name,
    open_vector_store,
)
from supportdesk.config import Settings
from tests.support.hashing_embedder import HashingEmbedder

EMBEDDER = HashingEmbedder()


def settings_for(tmp_path: Path, qdrant_url: str | None = None) -> Settings:
    overrides: dict[str, Any] = {
        "data_dir": tmp_path,
        "qdrant_url": qdrant_url,
        "qdrant_collection": "kb",
    }
    return Settings(**overrides)


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[VectorStore]:
    opened = await open_vector_store(settings_for(tmp_path), EMBEDDER.name, EMBEDDER.dimension)
    yield opened
    await opened.close()


def chunk(tenant: str, doc_id: str, text: str, index: int = 0, content_hash: str = "h1") -> Chunk:
    return Chunk(
        tenant=tenant,
        doc_id=doc_id,
        title=f"Title of {doc_id}",
        section="Cards › Lost",
        anchor="lost",
        text=text,
        chunk_index=index,
        content_hash=content_hash,
        kb_version="v1",
        intents=["lost_or_stolen_card"],
        source=f"/kb/{doc_id}.md",
        metadata={"updated": "2026-10-01"},
    )


async def put(store: VectorStore, *chunks: Chunk) -> None:
    await store.upsert(chunks, await EMBEDDER.embed([c.embedding_text() for c in chunks]))


async def query(text: str) -> np.ndarray:
    return (await EMBEDDER.embed([text]))[0]


def test_the_collection_name_keeps_embedding_models_apart() -> None:
    assert collection_name("helpcentre", "local/all-MiniLM-L6-v2", 384) == (
        "helpcentre-local-all-minilm-l6-v2-384-hybrid"
    )
    assert collection_name("helpcentre", "openai/text-embedding-3-small", 1536) == (
        "helpcentre-openai-text-embedding-3-small-1536-hybrid"
    )


def test_point_ids_are_stable_and_distinct_per_tenant_document_and_index() -> None:
    assert point_id("harbor", "a", 0) == point_id("harbor", "a", 0)
    ids = {point_id("harbor", "a", 0), point_id("harbor", "a", 1), point_id("other", "a", 0)}
    assert len(ids) == 3
    assert chunk("harbor", "a", "x").point_id == point_id("harbor", "a", 0)


async def test_a_chunk_comes_back_from_search_intact(store: VectorStore) -> None:
    lost = chunk("harbor", "lost-card", "Freeze a lost card in the app straight away.")
    await put(store, lost, chunk("harbor", "fees", "Sending money abroad costs 0.5%."))

    hits = await store.search("harbor", await query("I lost my card"), limit=2)

    assert hits[0].chunk == lost
    assert hits[0].score > hits[1].score
    assert hits[0].chunk.embedding_text() == (
        "Title of lost-card\nCards › Lost\nFreeze a lost card in the app straight away."
    )


async def test_the_score_threshold_drops_weak_matches(store: VectorStore) -> None:
    await put(store, chunk("harbor", "lost-card", "Freeze a lost card in the app straight away."))

    assert await store.search("harbor", await query("freeze lost card"), 5, 0.3)
    assert await store.search("harbor", await query("mortgage rates"), 5, 0.3) == []


async def test_search_never_returns_another_tenants_chunks(store: VectorStore) -> None:
    text = "Freeze a lost card in the app straight away."
    await put(store, chunk("harbor", "lost-card", text), chunk("rival", "lost-card", text))

    for tenant in ("harbor", "rival"):
        hits = await store.search(tenant, await query(text), limit=10)
        assert [hit.chunk.tenant for hit in hits] == [tenant]
        assert await store.count(tenant) == 1
    assert await store.search("nobody", await query(text), limit=10) == []


async def test_search_cannot_be_called_without_a_tenant(store: VectorStore) -> None:
    tenant = inspect.signature(VectorStore.search).parameters["tenant"]
    assert tenant.default is inspect.Parameter.empty
    with pytest.raises(ValueError, match="tenant is required"):
        await store.search("", await query("card"), limit=3)
    with pytest.raises(ValueError, match="tenant is required"):
        await store.count("")


async def test_deleting_documents_touches_one_tenant_only(store: VectorStore) -> None:
    await put(
        store,
        chunk("harbor", "a", "first part", 0),
        chunk("harbor", "a", "second part", 1),
        chunk("harbor", "b", "other document"),
        chunk("rival", "a", "first part"),
    )

    assert await store.delete_documents("harbor", ["a"]) == 2
    assert await store.delete_documents("harbor", []) == 0

    assert await store.document_hashes("harbor") == {"b": ("h1", "/kb/b.md")}
    assert await store.document_hashes("rival") == {"a": ("h1", "/kb/a.md")}


async def test_outdated_chunks_of_a_document_are_deleted(store: VectorStore) -> None:
    await put(store, *(chunk("harbor", "a", f"old part {i}", i, "old") for i in range(3)))
    await put(store, chunk("harbor", "a", "new text", 0, "new"))
    assert (await store.document_hashes("harbor"))["a"] == ("", "/kb/a.md")  # mid-update

    assert await store.delete_outdated_chunks("harbor", "a", "new") == 2

    assert await store.document_hashes("harbor") == {"a": ("new", "/kb/a.md")}
    assert await store.count("harbor") == 1


async def test_kb_versions_are_per_tenant(store: VectorStore) -> None:
    assert await store.kb_version("harbor") is None

    await store.set_kb_version("harbor", "3f2a9c1b0d4e")
    await store.set_kb_version("harbor", "9a8b7c6d5e4f")
    await store.set_kb_version("rival", "000000000000")

    assert await store.kb_version("harbor") == "9a8b7c6d5e4f"
    assert await store.kb_version("rival") == "000000000000"
    assert await store.count("harbor") == 0  # versions live beside the chunks, not among them


async def test_vectors_must_match_the_chunks(store: VectorStore) -> None:
    with pytest.raises(ValueError, match="shape"):
        await store.upsert(
            [chunk("harbor", "a", "x")], np.zeros((2, EMBEDDER.dimension), dtype=np.float32)
        )


async def test_everything_survives_reopening(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = await open_vector_store(settings, EMBEDDER.name, EMBEDDER.dimension)
    await put(first, chunk("harbor", "a", "persisted"))
    await first.set_kb_version("harbor", "abc")
    await first.close()

    second = await open_vector_store(settings, EMBEDDER.name, EMBEDDER.dimension)
    try:
        await second.ensure_collection()  # idempotent: what is there stays
        assert await second.document_hashes("harbor") == {"a": ("h1", "/kb/a.md")}
        assert await second.kb_version("harbor") == "abc"
        assert await second.ping()
    finally:
        await second.close()


async def test_a_store_held_by_another_client_says_what_to_do(
    store: VectorStore, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)

    with pytest.raises(VectorStoreLocked) as raised:
        await open_vector_store(settings, EMBEDDER.name, EMBEDDER.dimension)

    message = str(raised.value)
    assert str(settings.qdrant_path) in message
    assert "running desk" in message
    assert "set QDRANT_URL" in message


async def test_an_unreachable_server_is_reported_not_raised_raw() -> None:
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Built directly to skip the client's background version check, which would warn later.
    client = AsyncQdrantClient(url=f"http://127.0.0.1:{port}", check_compatibility=False)
    remote = VectorStore(client, "kb-test-256", EMBEDDER.dimension)
    try:
        assert not await remote.ping()
        with pytest.raises(VectorStoreUnavailable, match="cannot reach Qdrant"):
            await remote.ensure_collection()
    finally:
        await remote.close()


def about(tenant: str, doc_id: str, text: str, entity: str) -> Chunk:
    return chunk(tenant, doc_id, text).model_copy(
        update={"metadata": {"entity": entity, "domain": "hotel"}, "title": f"{entity}: {doc_id}"}
    )


HOTELS = [
    about("harbor", "h1/faq/0", "Wifi is free in every room and it is fast.", "ALLENBELL"),
    about("harbor", "h1/faq/1", "Parking costs extra at the Allenbell.", "ALLENBELL"),
    about("harbor", "h1/review/0", "The room had a lovely view of the river.", "ALLENBELL"),
    about("harbor", "h2/faq/0", "Wifi is free but slow in the evening.", "GONVILLE HOTEL"),
    about("harbor", "h2/faq/1", "Breakfast is served from seven until ten.", "GONVILLE HOTEL"),
    about(
        "harbor",
        "h2/review/0",
        "Noisy street, but the view from the top floor is grand.",
        "GONVILLE HOTEL",
    ),
    about("harbor", "h3/faq/0", "Pets are welcome in the garden rooms.", "AVALON"),
]
QUESTIONS = [
    "is the wifi free",
    "does it have a nice view",
    "can I bring my dog",
    "when is breakfast",
    "parking",
    "zzz unknown words",
]


def tied(hits: list[Any]) -> list[set[tuple[str, float]]]:
    """The ranking as groups of equally ranked hits: (doc id, cosine) within each group."""
    groups: list[set[tuple[str, float]]] = []
    last: tuple[float, float] | None = None
    # Below this the hashing embedder's cosines are mostly exact ties (no shared word), whose
    # order is arbitrary on both sides.
    for hit in (h for h in hits if h.score > 0.05):
        key = (round(hit.fused, 6), round(hit.score, 4))
        if key != last:
            groups.append(set())
            last = key
        groups[-1].add((hit.chunk.doc_id, round(hit.score, 4)))
    return groups


@pytest.mark.parametrize("entities", [(), ("GONVILLE HOTEL",), ("ALLENBELL", "AVALON")])
@pytest.mark.parametrize("hybrid", [False, True])
async def test_embedded_search_ranks_as_qdrant_itself_does(
    tmp_path: Path, entities: tuple[str, ...], hybrid: bool
) -> None:
    """The contract behind the embedded snapshot (knowledge.snapshot): Qdrant's own query
    path over the same points gives the same hits in the same order, with the same cosine."""
    embedded = await open_vector_store(settings_for(tmp_path), EMBEDDER.name, EMBEDDER.dimension)
    try:
        await put(embedded, *HOTELS)
        # The same client searched through Qdrant's query API instead of the snapshot.
        qdrant = VectorStore(embedded._client, embedded.name, embedded.dimension)
        for question in QUESTIONS:
            text = question if hybrid else None
            # Every point is returned (limit 10 > 7), so only the order of ties may differ.
            ours = await embedded.search(
                "harbor", await query(question), 10, text=text, entities=entities
            )
            theirs = await qdrant.search(
                "harbor", await query(question), 10, text=text, entities=entities
            )
            assert tied(ours) == tied(theirs), question
            if entities:
                assert {h.chunk.metadata["entity"] for h in ours} <= set(entities)
    finally:
        await embedded.close()


async def test_a_write_is_searchable_at_once(store: VectorStore) -> None:
    await put(store, HOTELS[0])
    assert [h.chunk.doc_id for h in await store.search("harbor", await query("wifi"), 5)] == [
        "h1/faq/0"
    ]
    await put(store, HOTELS[3])
    found = await store.search("harbor", await query("wifi"), 5, text="wifi")
    assert {h.chunk.doc_id for h in found} == {"h1/faq/0", "h2/faq/0"}
    await store.delete_documents("harbor", ["h1/faq/0"])
    found = await store.search("harbor", await query("wifi"), 5, text="wifi")
    assert [h.chunk.doc_id for h in found] == ["h2/faq/0"]


async def test_entities_lists_what_the_tenant_documents_name(store: VectorStore) -> None:
    await put(store, *HOTELS, chunk("other", "x", "Wifi"))
    rows = await store.entities("harbor")
    assert {(entity, kind) for entity, kind, _ in rows} == {
        ("ALLENBELL", "hotel"),
        ("GONVILLE HOTEL", "hotel"),
        ("AVALON", "hotel"),
    }
    assert await store.entities("other") == []
