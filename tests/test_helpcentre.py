"""The help centre is data: its schema, intent coverage and chunkable shape are checked here.

Rules and reasons: docs/knowledge-base.md. Runs offline in well under a second.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import frontmatter
import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPCENTRE = ROOT / "helpcentre"
# The shared BANKING77 copy is the source of truth; the shipped copy keeps a standalone clone green.
SHARED_LABELS = ROOT.parent / "shared" / "data" / "banking77" / "categories.json"
SHIPPED_LABELS = ROOT / "tests" / "data" / "banking77_intents.json"

REQUIRED_KEYS = {"id", "title", "intents", "updated"}
KEBAB_CASE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
WORD = re.compile(r"\w[\w'’./,:-]*")
MIN_WORDS, MAX_WORDS = 150, 450

ARTICLE_PATHS = sorted(HELPCENTRE.glob("*.md"))


def _labels() -> list[str]:
    path = SHARED_LABELS if SHARED_LABELS.is_file() else SHIPPED_LABELS
    labels = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(labels, list) and all(isinstance(label, str) for label in labels)
    return labels


def _load(path: Path) -> frontmatter.Post:
    try:
        return frontmatter.load(path)
    except Exception as exc:  # a YAML error alone does not name the file
        raise AssertionError(f"{path.name}: front matter does not parse: {exc}") from exc


LABELS = _labels()
ARTICLES = {path.stem: _load(path) for path in ARTICLE_PATHS}


def _intents(post: frontmatter.Post) -> list[str]:
    intents = post.metadata["intents"]
    assert isinstance(intents, list)
    return [str(intent) for intent in intents]


def _headings(content: str) -> list[tuple[int, str]]:
    return [
        (len(match.group(1)), match.group(2))
        for line in content.splitlines()
        if (match := HEADING.match(line))
    ]


def _summary(content: str) -> str:
    """Everything before the first heading: the chunk that stands for the whole article."""
    lines: list[str] = []
    for line in content.splitlines():
        if HEADING.match(line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def test_the_help_centre_has_articles() -> None:
    assert len(ARTICLE_PATHS) >= 28


def test_labels_are_the_77_banking77_intents() -> None:
    assert len(LABELS) == 77
    assert len(set(LABELS)) == 77


def test_shipped_label_copy_matches_the_shared_dataset() -> None:
    if not SHARED_LABELS.is_file():
        pytest.skip("shared BANKING77 data not present; the shipped copy is the source")
    shipped = json.loads(SHIPPED_LABELS.read_text(encoding="utf-8"))
    assert shipped == json.loads(SHARED_LABELS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_front_matter_has_exactly_the_schema_keys_and_types(stem: str) -> None:
    meta = ARTICLES[stem].metadata
    assert set(meta) == REQUIRED_KEYS
    assert isinstance(meta["id"], str) and KEBAB_CASE.match(meta["id"])
    assert meta["id"] == stem
    assert isinstance(meta["title"], str) and meta["title"].strip()
    assert isinstance(meta["intents"], list) and meta["intents"]
    assert all(isinstance(intent, str) for intent in meta["intents"])
    assert len(set(meta["intents"])) == len(meta["intents"]), "an intent is listed twice"
    # YAML reads an unquoted ISO date as a date; a datetime or a string means a malformed value.
    assert type(meta["updated"]) is dt.date


def test_ids_are_unique() -> None:
    ids = Counter(str(post.metadata.get("id")) for post in ARTICLES.values())
    assert [article_id for article_id, count in ids.items() if count > 1] == []


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_intents_are_real_banking77_labels(stem: str) -> None:
    unknown = set(_intents(ARTICLES[stem])) - set(LABELS)
    assert unknown == set(), f"not BANKING77 labels (copy them exactly): {sorted(unknown)}"


def test_every_label_is_answered_by_an_article() -> None:
    covered = {intent for post in ARTICLES.values() for intent in _intents(post)}
    assert [label for label in LABELS if label not in covered] == []


def test_card_delivery_article_answers_where_is_my_card() -> None:
    post = ARTICLES["card-delivery"]
    assert {"card_arrival", "card_delivery_estimate"} <= set(_intents(post))
    assert "## My card still hasn't arrived, what should I do?" in post.content


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_article_opens_with_a_summary_then_sections(stem: str) -> None:
    content = ARTICLES[stem].content
    headings = _headings(content)
    assert _summary(content), "no summary paragraph before the first heading"
    assert "\n\n" not in _summary(content), "the summary is more than one paragraph"
    assert all(level in (2, 3) for level, _ in headings), "use ## and ### only; title is in YAML"
    assert sum(level == 2 for level, _ in headings) >= 2


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_headings_do_not_repeat_within_an_article(stem: str) -> None:
    texts = Counter(text.casefold() for _, text in _headings(ARTICLES[stem].content))
    assert [text for text, count in texts.items() if count > 1] == []


@pytest.mark.parametrize("stem", sorted(ARTICLES))
def test_article_length_suits_reading_and_chunking(stem: str) -> None:
    words = len(WORD.findall(ARTICLES[stem].content))
    assert MIN_WORDS <= words <= MAX_WORDS, f"{words} words"
