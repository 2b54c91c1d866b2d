"""Reading inputs: Markdown articles, folders of them, JSON Lines; every rejection explained."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.documents import Document, SourceError
from ingest.sources import read_sources

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
GOOD_FRONT_MATTER = "---\nid: a\ntitle: An article\n---\n"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A current directory, so paths are given (and reported) relative, as a user types them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def only_error(paths: list[Path]) -> SourceError:
    found = read_sources(paths)
    assert found.documents == []
    assert len(found.errors) == 1, found.errors
    return found.errors[0]


def test_a_folder_is_read_recursively_in_sorted_order_skipping_hidden_folders() -> None:
    found = read_sources([FIXTURES / "kb"])

    assert found.errors == []
    assert [d.doc_id for d in found.documents] == [
        "account-closure",
        "card-delivery",
        "transfer-limits",  # payments/transfer-limits.md; .drafts/ is skipped
    ]
    card = found.documents[1]
    assert card.title == "Card delivery and activation"
    assert card.intents == ("card_arrival", "activate_my_card")
    assert card.metadata == {"updated": "2026-10-01"}
    assert card.markdown
    assert card.text.startswith("# Card delivery and activation\n\nHarbor Bank posts")
    assert card.source == str((FIXTURES / "kb" / "card-delivery.md").resolve())
    assert card.file == str(FIXTURES / "kb" / "card-delivery.md")


def test_front_matter_without_intents_or_date_is_accepted() -> None:
    found = read_sources([FIXTURES / "kb" / "payments" / "transfer-limits.md"])

    assert [(d.doc_id, d.intents, d.metadata) for d in found.documents] == [
        ("transfer-limits", ("transfer_limits",), {})
    ]


def test_jsonl_rows_become_documents_with_their_metadata() -> None:
    found = read_sources([FIXTURES / "dstc11_sample.jsonl"])

    assert found.errors == []
    assert [d.doc_id for d in found.documents] == [
        "hotel/0/faq/0",
        "hotel/0/faq/1",
        "hotel/0/faq/2",
        "hotel/0/review/0",
        "restaurant/508/faq/0",
    ]
    parking = found.documents[2]
    assert parking.title == "A AND B GUEST HOUSE: Do you have onsite parking for your guests?"
    assert parking.metadata == {
        "domain": "hotel",
        "entity": "A AND B GUEST HOUSE",
        "doc_type": "faq",
    }
    assert parking.intents == ()
    assert not parking.markdown
    assert parking.location.endswith("dstc11_sample.jsonl:3")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "# Just a heading\n\nNo front matter.",
            "missing front matter (a '---' block with id and title)",
        ),
        (
            "---\nid: a\ntitle: T\n\nBody without a closing line.",
            "front matter is not closed by a '---' line",
        ),
        (
            "---\n- a\n- b\n---\nBody.",
            "front matter must be a mapping of keys (id: ..., title: ...)",
        ),
        ("---\ntitle: T\n---\nBody.", "missing front matter key 'id'"),
        ("---\nid: a\n---\nBody.", "missing front matter key 'title'"),
        ("---\nid: 42\ntitle: T\n---\nBody.", "front matter key 'id' must be a non-empty string"),
        (
            "---\nid: a\ntitle: '  '\n---\nBody.",
            "front matter key 'title' must be a non-empty string",
        ),
        (
            "---\nid: a\ntitle: T\nintents: card_arrival\n---\nBody.",
            "front matter key 'intents' must be a list of intent names",
        ),
        (
            "---\nid: a\ntitle: T\nupdated: last week\n---\nBody.",
            "front matter key 'updated' must be a date (YYYY-MM-DD)",
        ),
        (GOOD_FRONT_MATTER + "\n   \n", "no article text after the front matter"),
    ],
)
def test_each_markdown_problem_is_named(workdir: Path, content: str, reason: str) -> None:
    error = only_error([write(Path("kb/article.md"), content)])

    assert str(error) == f"kb/article.md: {reason}"


def test_invalid_yaml_is_reported_with_its_line(workdir: Path) -> None:
    error = only_error([write(Path("a.md"), "---\nid: a\ntitle: [unclosed\n---\nBody.")])

    assert error.file == "a.md"
    assert error.reason.startswith("invalid front matter YAML: ")
    assert error.line == 4


def test_invalid_utf8_is_reported_with_its_line(workdir: Path) -> None:
    content = GOOD_FRONT_MATTER.encode() + b"Opening hours.\nCaf\xe9 hours.\n"
    error = only_error([write(Path("a.md"), content)])

    assert (error.file, error.line) == ("a.md", 6)
    assert error.reason == f"not valid UTF-8 (byte {content.index(0xE9)})"


def test_an_unreadable_file_is_reported(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path("kb/locked.md"), GOOD_FRONT_MATTER + "Body.")
    write(Path("kb/open.md"), "---\nid: b\ntitle: B\n---\nBody.")
    read_bytes = Path.read_bytes

    def refuse_locked(path: Path) -> bytes:
        if path.name == "locked.md":
            raise PermissionError(13, os.strerror(13), str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refuse_locked)
    found = read_sources([Path("kb")])

    assert [str(e) for e in found.errors] == ["kb/locked.md: cannot read file: Permission denied"]
    assert [d.doc_id for d in found.documents] == ["b"]


def test_bad_jsonl_lines_are_reported_with_line_numbers_and_the_rest_kept(workdir: Path) -> None:
    good = {"id": "ok", "title": "Fine", "text": "A good row.", "extra": "ignored"}
    latin1 = '{"id": "u", "title": "T", "text": "caf\u00e9"}'.encode("latin-1")
    lines = [
        json.dumps(good).encode(),
        b"{not json",
        b"[1, 2]",
        json.dumps({"title": "T", "text": "x"}).encode(),
        json.dumps({"id": "t", "text": "x"}).encode(),
        json.dumps({"id": "x", "title": "T", "text": ""}).encode(),
        json.dumps({"id": "m", "title": "T", "text": "x", "metadata": "hotel"}).encode(),
        b"",  # blank lines are skipped silently
        latin1,
        json.dumps({"id": "ok2", "title": "Also fine", "text": "Another row."}).encode(),
    ]
    write(Path("corpus.jsonl"), b"\n".join(lines) + b"\n")

    found = read_sources([Path("corpus.jsonl")])

    assert [d.doc_id for d in found.documents] == ["ok", "ok2"]
    assert [d.line for d in found.documents] == [1, 10]
    assert found.documents[0].metadata == {}
    assert [str(e) for e in found.errors] == [
        "corpus.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes "
        "(column 2)",
        "corpus.jsonl:3: expected a JSON object with id, title and text",
        "corpus.jsonl:4: missing 'id'",
        "corpus.jsonl:5: missing 'title'",
        "corpus.jsonl:6: 'text' must be a non-empty string",
        "corpus.jsonl:7: 'metadata' must be a JSON object",
        f"corpus.jsonl:9: not valid UTF-8 (byte {latin1.index(0xE9)} of the line)",
    ]


def test_an_empty_jsonl_file_is_an_error(workdir: Path) -> None:
    error = only_error([write(Path("empty.jsonl"), "\n\n")])

    assert str(error) == "empty.jsonl: no documents in file"


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda: Path("missing"), "no such file or directory"),
        (
            lambda: write(Path("notes.txt"), "hello"),
            "unsupported file type (expected .md, .jsonl or a folder)",
        ),
        (
            lambda: write(Path("empty/readme.txt"), "x").parent,
            "no Markdown (*.md) files in this directory",
        ),
    ],
)
def test_unusable_paths_are_reported(workdir: Path, setup: Callable[[], Path], reason: str) -> None:
    path = setup()

    error = only_error([path])

    assert (error.file, error.reason) == (str(path), reason)


def test_duplicate_ids_are_both_rejected_and_both_locations_named(workdir: Path) -> None:
    write(Path("kb/a.md"), "---\nid: same\ntitle: First\n---\nOne.")
    write(Path("kb/b.md"), "---\nid: same\ntitle: Second\n---\nTwo.")
    write(Path("kb/c.md"), "---\nid: other\ntitle: Third\n---\nThree.")
    write(Path("more.jsonl"), json.dumps({"id": "same", "title": "Row", "text": "Four."}) + "\n")

    found = read_sources([Path("kb"), Path("more.jsonl")])

    assert [d.doc_id for d in found.documents] == ["other"]
    assert [str(e) for e in found.errors] == [
        "kb/b.md: duplicate id 'same' (also in kb/a.md); neither copy ingested",
        "more.jsonl:1: duplicate id 'same' (also in kb/a.md); neither copy ingested",
    ]
    assert found.held_ids == {"same"}


def test_overlapping_paths_read_each_file_once(workdir: Path) -> None:
    article = write(Path("kb/a.md"), GOOD_FRONT_MATTER + "Body.")

    found = read_sources([Path("kb"), article])

    assert found.errors == []
    assert [d.doc_id for d in found.documents] == ["a"]


def test_only_paths_read_without_errors_may_be_pruned(workdir: Path) -> None:
    write(Path("good/a.md"), GOOD_FRONT_MATTER + "Body.")
    write(Path("bad/b.md"), "no front matter")
    write(Path("corpus.jsonl"), json.dumps({"id": "r", "title": "T", "text": "x"}) + "\n")

    found = read_sources([Path("good"), Path("bad"), Path("corpus.jsonl")])

    def prunable(relative: str) -> bool:
        return found.prunable(str((workdir / relative).resolve()))

    assert prunable("good/gone.md")  # a file that was read from a clean folder, now gone
    assert prunable("corpus.jsonl")
    assert not prunable("bad/gone.md")  # the folder had an error: keep what it gave before
    assert not prunable("good/.hidden/gone.md")  # never read from that folder
    assert not prunable("good/gone.jsonl")  # folders are read for Markdown only
    assert not prunable("elsewhere/gone.md")  # not named in this run


def test_a_copied_fixture_folder_reads_the_same(tmp_path: Path) -> None:
    """Paths are reported as given and stored resolved, wherever the folder lives."""
    shutil.copytree(FIXTURES / "kb", tmp_path / "kb")

    found = read_sources([tmp_path / "kb"])

    assert all(isinstance(d, Document) for d in found.documents)
    assert {d.source for d in found.documents} == {
        str((tmp_path / "kb" / name).resolve())
        for name in ("account-closure.md", "card-delivery.md", "payments/transfer-limits.md")
    }
