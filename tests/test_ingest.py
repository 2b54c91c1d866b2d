"""The sync: only differences written, nothing lost to bad input, versions that track content."""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ingest import command
from ingest.pipeline import EMBED_BATCH, ingest
from ingest.report import IngestReport
from knowledge.embedder import Embedder, LocalEmbedder, Vectors
from knowledge.vectorstore import VectorStore, open_vector_store
from supportdesk.config import Settings
from tests.support.hashing_embedder import HashingEmbedder

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
EMBEDDER = HashingEmbedder()
WRITES = ("upsert", "delete_documents", "delete_outdated_chunks", "set_kb_version")


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the fixture help centre in a fresh working directory, and a store beside it."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "kb", tmp_path / "kb")
    overrides: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "kb_path": Path("kb"),
        "tenant": "harbor",
        "qdrant_url": None,
    }
    return Settings(**overrides)


@pytest.fixture
async def store(settings: Settings) -> AsyncIterator[VectorStore]:
    opened = await open_vector_store(settings, EMBEDDER.name, EMBEDDER.dimension)
    yield opened
    await opened.close()


@pytest.fixture
def writes(store: VectorStore, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the store's writing methods, in the order they are called."""
    calls: list[str] = []
    for name in WRITES:
        method = getattr(store, name)

        async def recorded(*args: object, _name: str = name, _method: object = method) -> object:
            calls.append(_name)
            assert callable(_method)
            return await _method(*args)

        monkeypatch.setattr(store, name, recorded)
    return calls


async def sync(store: VectorStore, *paths: str, tenant: str = "harbor") -> IngestReport:
    return await ingest(paths or ["kb"], tenant=tenant, store=store, embedder=EMBEDDER)


async def top_hit_text(store: VectorStore, question: str, tenant: str = "harbor") -> str:
    hits = await store.search(tenant, (await EMBEDDER.embed([question]))[0], limit=1)
    return hits[0].chunk.text


# Files are changed between runs by these plain functions: blocking calls stay out of the
# async tests, as in the code under test.
def edit(path: str, old: str, new: str) -> None:
    article = Path(path)
    text = article.read_text(encoding="utf-8")
    assert old in text
    article.write_text(text.replace(old, new), encoding="utf-8")


def truncate(path: str, before: str) -> None:
    article = Path(path)
    text = article.read_text(encoding="utf-8")
    assert before in text
    article.write_text(text[: text.index(before)], encoding="utf-8")


def write(path: str, text: str) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text, encoding="utf-8")


def remove(path: str) -> None:
    Path(path).unlink()


def move(path: str, to: str) -> None:
    Path(to).parent.mkdir(parents=True, exist_ok=True)
    Path(path).rename(to)


def resolved(path: str) -> str:
    return str(Path(path).resolve())


def fixture_rows() -> list[str]:
    return (FIXTURES / "dstc11_sample.jsonl").read_text(encoding="utf-8").splitlines()


async def test_the_first_run_adds_every_document(store: VectorStore) -> None:
    report = await sync(store)

    assert (report.added, report.updated, report.deleted, report.unchanged) == (3, 0, 0, 0)
    assert report.chunks_written == await store.count("harbor") == 7
    assert report.errors == []
    assert report.kb_version_before is None
    assert report.kb_version_after == await store.kb_version("harbor")
    assert report.kb_version_after is not None and len(report.kb_version_after) == 12
    assert report.render() == (
        "added 3, updated 0, deleted 0, unchanged 0 (7 chunks written, 0 deleted); "
        f"KB version none → {report.kb_version_after} (tenant harbor)"
    )
    hashes = await store.document_hashes("harbor")
    assert hashes["card-delivery"][1] == resolved("kb/card-delivery.md")


async def test_a_second_run_over_unchanged_input_writes_nothing(
    store: VectorStore, writes: list[str]
) -> None:
    first = await sync(store)
    writes.clear()

    second = await sync(store)

    assert writes == []
    assert not second.changed
    assert (second.unchanged, second.chunks_written, second.chunks_deleted) == (3, 0, 0)
    assert second.kb_version_after == second.kb_version_before == first.kb_version_after
    assert second.render() == (
        f"no changes: 3 documents unchanged, KB version {first.kb_version_after} (tenant harbor)"
    )


async def test_a_changed_document_replaces_its_chunks_and_bumps_the_version(
    store: VectorStore, writes: list[str]
) -> None:
    first = await sync(store)
    writes.clear()
    truncate("kb/card-delivery.md", before="### Activating your card")  # 4 chunks become 2

    report = await sync(store)

    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 1, 0, 2)
    # New chunks first, then the outdated ones: the article is never missing from search.
    assert writes == ["upsert", "delete_outdated_chunks", "set_kb_version"]
    assert report.chunks_written == 2
    assert report.chunks_deleted == 2
    assert await store.count("harbor") == 7 - 4 + 2
    assert report.kb_version_before == first.kb_version_after != report.kb_version_after
    assert await store.kb_version("harbor") == report.kb_version_after
    hits = await store.search("harbor", (await EMBEDDER.embed(["activate card"]))[0], limit=10)
    card_chunks = [hit.chunk for hit in hits if hit.chunk.doc_id == "card-delivery"]
    assert sorted(c.chunk_index for c in card_chunks) == [0, 1]
    assert {c.kb_version for c in card_chunks} == {report.kb_version_after}
    assert not any("Activate" in c.text for c in card_chunks)


async def test_the_version_follows_content_not_history(store: VectorStore) -> None:
    original = (await sync(store)).kb_version_after
    edit("kb/account-closure.md", "Closing is free", "Closing costs nothing")
    changed = (await sync(store)).kb_version_after
    edit("kb/account-closure.md", "Closing costs nothing", "Closing is free")

    reverted = await sync(store)

    assert changed != original
    assert reverted.kb_version_after == original
    assert reverted.updated == 1


async def test_a_removed_document_is_deleted(store: VectorStore) -> None:
    first = await sync(store)
    remove("kb/account-closure.md")

    report = await sync(store)

    assert (report.deleted, report.chunks_deleted, report.unchanged) == (1, 1, 2)
    assert "account-closure" not in await store.document_hashes("harbor")
    assert report.kb_version_after != first.kb_version_after


async def test_documents_from_paths_not_named_are_kept(store: VectorStore) -> None:
    await sync(store, "kb", str(FIXTURES / "dstc11_sample.jsonl"))

    report = await sync(store, "kb")  # the JSON Lines file is simply not part of this run

    assert (report.deleted, report.unchanged) == (0, 3)
    assert len(await store.document_hashes("harbor")) == 8


async def test_a_file_with_an_error_keeps_what_it_and_its_folder_gave_before(
    store: VectorStore,
) -> None:
    first = await sync(store)
    edit("kb/card-delivery.md", "id: card-delivery\n", "")
    remove("kb/account-closure.md")

    report = await sync(store)

    assert [str(e) for e in report.errors] == ["kb/card-delivery.md: missing front matter key 'id'"]
    assert (report.deleted, report.chunks_deleted, report.unchanged) == (0, 0, 1)
    assert set(await store.document_hashes("harbor")) == {
        "card-delivery",
        "account-closure",
        "transfer-limits",
    }
    assert report.kb_version_after == first.kb_version_after
    assert not report.changed
    assert report.render().splitlines()[1:] == [
        "skipped 1 input; nothing stored from their files was deleted:",
        "  kb/card-delivery.md: missing front matter key 'id'",
    ]


async def test_a_bad_jsonl_line_keeps_the_rows_of_that_file(store: VectorStore) -> None:
    rows = fixture_rows()
    write("corpus.jsonl", "\n".join(rows) + "\n")
    await sync(store, "corpus.jsonl")
    write("corpus.jsonl", "\n".join([*rows[1:], "{oops"]) + "\n")

    report = await sync(store, "corpus.jsonl")

    assert [(e.file, e.line) for e in report.errors] == [("corpus.jsonl", 5)]
    assert (report.deleted, report.unchanged) == (0, 4)
    assert "hotel/0/faq/0" in await store.document_hashes("harbor")


async def test_a_duplicate_id_keeps_the_stored_document(store: VectorStore) -> None:
    await sync(store)
    before = await store.document_hashes("harbor")
    write("kb/copy.md", "---\nid: card-delivery\ntitle: A copy\n---\nA different text, same id.")

    report = await sync(store)

    assert [str(e) for e in report.errors] == [
        "kb/copy.md: duplicate id 'card-delivery' (also in kb/card-delivery.md); "
        "neither copy ingested"
    ]
    assert (report.added, report.updated, report.deleted, report.unchanged) == (0, 0, 0, 2)
    assert await store.document_hashes("harbor") == before
    assert not report.changed


async def test_a_moved_file_is_rewritten_with_its_new_path_and_the_same_version(
    store: VectorStore,
) -> None:
    first = await sync(store)
    move("kb/account-closure.md", "kb/accounts/account-closure.md")

    report = await sync(store)

    assert (report.updated, report.deleted, report.chunks_deleted) == (1, 0, 0)
    stored = await store.document_hashes("harbor")
    assert stored["account-closure"][1] == resolved("kb/accounts/account-closure.md")
    assert report.kb_version_after == first.kb_version_after


async def test_tenants_are_synced_independently(store: VectorStore) -> None:
    harbor = await sync(store, tenant="harbor")
    remove("kb/account-closure.md")

    rival = await sync(store, tenant="rival")

    assert rival.added == 2
    assert await store.count("harbor") == 7
    assert await store.count("rival") == 6
    assert await store.kb_version("harbor") == harbor.kb_version_after
    assert rival.kb_version_after != harbor.kb_version_after
    hits = await store.search("rival", (await EMBEDDER.embed(["close my account"]))[0], limit=10)
    assert {hit.chunk.tenant for hit in hits} == {"rival"}
    assert "account-closure" not in {hit.chunk.doc_id for hit in hits}


async def test_jsonl_documents_are_searchable_with_their_metadata(store: VectorStore) -> None:
    report = await sync(store, str(FIXTURES / "dstc11_sample.jsonl"))

    hits = await store.search(
        "harbor", (await EMBEDDER.embed(["Do you have onsite parking?"]))[0], limit=1
    )

    assert (report.added, report.chunks_written) == (5, 5)
    parking = hits[0].chunk
    assert parking.doc_id == "hotel/0/faq/2"
    assert parking.section == parking.title
    assert parking.anchor == ""
    assert parking.intents == []
    assert parking.metadata == {
        "domain": "hotel",
        "entity": "A AND B GUEST HOUSE",
        "doc_type": "faq",
    }
    assert parking.text == "There is onsite parking at A and B Guest House but it costs extra."


class BatchRecorder:
    """An embedder that remembers the size of every batch it was asked for."""

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner
        self.name = inner.name
        self.dimension = inner.dimension
        self.batches: list[int] = []

    async def embed(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(len(texts))
        return await self._inner.embed(texts)


async def test_embedding_is_batched(store: VectorStore) -> None:
    rows = [
        {"id": f"faq-{i}", "title": f"Question {i}", "text": f"Answer {i}."} for i in range(150)
    ]
    write("big.jsonl", "".join(json.dumps(row) + "\n" for row in rows))
    embedder = BatchRecorder(EMBEDDER)

    report = await ingest(["big.jsonl"], tenant="harbor", store=store, embedder=embedder)

    assert report.added == 150
    assert embedder.batches == [EMBED_BATCH, EMBED_BATCH, 150 - 2 * EMBED_BATCH]


async def test_progress_is_shown_on_request(
    store: VectorStore, capsys: pytest.CaptureFixture[str]
) -> None:
    await ingest(["kb"], tenant="harbor", store=store, embedder=EMBEDDER, progress=True)
    shown = capsys.readouterr().err
    await ingest(["kb"], tenant="rival", store=store, embedder=EMBEDDER)  # small: no bar
    hidden = capsys.readouterr().err

    assert "ingest harbor" in shown and "3/3" in shown
    assert hidden == ""


def arguments(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(argv)


async def test_the_command_defaults_to_the_settings_and_exits_0(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await command.run(arguments("--no-progress"), settings, EMBEDDER)

    assert code == 0
    assert capsys.readouterr().out.startswith("added 3, updated 0, deleted 0")
    again = await command.run(arguments(), settings, EMBEDDER)
    assert again == 0
    assert capsys.readouterr().out.startswith("no changes: 3 documents unchanged")


async def test_the_command_exits_1_when_some_inputs_are_rejected(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    edit("kb/account-closure.md", "id: account-closure\n", "")

    code = await command.run(arguments("kb", "--tenant", "rival"), settings, EMBEDDER)

    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("added 2,")
    assert "(tenant rival)" in out
    assert "  kb/account-closure.md: missing front matter key 'id'" in out.splitlines()


async def test_the_command_exits_2_when_nothing_is_usable(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await command.run(arguments("no-such-folder"), settings, EMBEDDER)

    assert code == 2
    assert "  no-such-folder: no such file or directory" in capsys.readouterr().out


async def test_the_command_exits_2_without_a_traceback_when_the_store_is_locked(
    settings: Settings, store: VectorStore, capsys: pytest.CaptureFixture[str]
) -> None:
    code = await command.run(arguments(), settings, EMBEDDER)

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert "in use by another process" in captured.err
    assert "Traceback" not in captured.err


async def test_the_real_model_honours_the_fakes_contract_and_finds_the_article(
    settings: Settings,
) -> None:
    """The one test with all-MiniLM-L6-v2: the contract the fake stands in for, end to end."""
    texts = ["My card hasn't arrived yet", "How do I close my account?", ""]
    real = LocalEmbedder()
    for embedder in (real, EMBEDDER):
        vectors = await embedder.embed(texts)
        assert vectors.dtype == np.float32
        assert vectors.shape == (3, embedder.dimension)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.array_equal(vectors, await embedder.embed(texts))
        assert (await embedder.embed([])).shape == (0, embedder.dimension)

    real_store = await open_vector_store(settings, real.name, real.dimension)
    try:
        await ingest(["kb"], tenant="harbor", store=real_store, embedder=real)
        question = await real.embed(["it's been two weeks and still no card in the post"])
        hits = await real_store.search("harbor", question[0], limit=1)
    finally:
        await real_store.close()

    assert hits[0].chunk.section == "Cards › My card hasn't arrived"
    assert hits[0].chunk.anchor == "my-card-hasnt-arrived"
