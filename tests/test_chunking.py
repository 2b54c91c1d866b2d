"""Heading-aware chunking: sections, anchors, size limits, small-section merging."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.anchors import Slugger, heading_text
from ingest.chunking import MAX_CHARS, MIN_CHARS, Piece, chunk_document, split_text
from ingest.documents import Document
from ingest.markdown import read_markdown

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


def markdown(body: str, title: str = "Guide") -> Document:
    return Document(
        doc_id="d", title=title, text=body, source="/kb/d.md", file="d.md", markdown=True
    )


def sentences(count: int, start: int = 0) -> str:
    return " ".join(
        f"Sentence {i} explains one more detail about transfers to savings pots."
        for i in range(start, start + count)
    )


def test_the_fixture_article_is_cut_at_its_headings() -> None:
    document = read_markdown(FIXTURES / "kb" / "card-delivery.md", "card-delivery.md")
    assert isinstance(document, Document)

    pieces = chunk_document(document)

    assert [(p.section, p.anchor) for p in pieces] == [
        ("Card delivery and activation", ""),
        ("Cards › My card hasn't arrived", "my-card-hasnt-arrived"),
        ("Cards › Activating your card", "activating-your-card"),
        ("Fees", "fees"),
    ]
    assert pieces[0].text.startswith("Harbor Bank posts every new debit card")
    assert pieces[1].text.startswith("Cards usually arrive within 5 working days")
    # Headings live in `section`, not in the text; the title heading is not repeated.
    assert not any(p.text.startswith("#") for p in pieces)
    assert "# Card delivery" not in pieces[0].text


def test_a_small_section_joins_the_next_with_its_heading_kept() -> None:
    pieces = chunk_document(
        markdown(
            f"{sentences(2)}\n\n## Fees\n\nNone.\n\n## Contact us\n\n{sentences(2, 10)}\n\n"
            f"## Opening hours\n\n{sentences(2, 20)}"
        )
    )

    fees = pieces[1]
    assert (fees.section, fees.anchor) == ("Fees", "fees")
    assert fees.text == f"None.\n\n## Contact us\n\n{sentences(2, 10)}"
    assert [p.section for p in pieces] == ["Guide", "Fees", "Opening hours"]


def test_a_small_last_section_joins_the_one_before() -> None:
    pieces = chunk_document(markdown(f"## Limits\n\n{sentences(2)}\n\n### Weekends\n\nThe same."))

    assert [(p.section, p.anchor) for p in pieces] == [("Limits", "limits")]
    assert pieces[0].text.endswith("\n\n### Weekends\n\nThe same.")


def test_a_short_document_is_one_piece_labelled_with_its_title() -> None:
    pieces = chunk_document(markdown("Short answer."))

    assert pieces == [Piece(section="Guide", anchor="", text="Short answer.")]


def test_empty_parent_headings_appear_only_in_their_childrens_paths() -> None:
    body = f"## Cards\n\n### Lost\n\n{sentences(2)}\n\n#### Abroad\n\n{sentences(2, 5)}"

    pieces = chunk_document(markdown(body))

    # Only `#` to `###` cut; a `####` heading stays inside its section's text.
    assert [(p.section, p.anchor) for p in pieces] == [("Cards › Lost", "lost")]
    assert "#### Abroad" in pieces[0].text


def test_headings_inside_code_blocks_do_not_cut() -> None:
    body = (
        f"## Export\n\n{sentences(1)}\n\n```\n## not a heading\n\nstill code\n```\n\n{sentences(1)}"
    )

    pieces = chunk_document(markdown(body))

    assert len(pieces) == 1
    assert "## not a heading\n\nstill code" in pieces[0].text


def test_a_long_section_is_split_between_paragraphs() -> None:
    paragraphs = [sentences(5, start=10 * i) for i in range(8)]  # ~350 characters each
    pieces = chunk_document(markdown("## Savings\n\n" + "\n\n".join(paragraphs)))

    assert len(pieces) > 1
    assert all(len(p.text) <= MAX_CHARS for p in pieces)
    assert all((p.section, p.anchor) == ("Savings", "savings") for p in pieces)
    # Every piece is whole paragraphs, and together they are all of them, in order.
    assert [para for p in pieces for para in p.text.split("\n\n")] == paragraphs


def test_a_too_long_paragraph_is_split_between_sentences() -> None:
    paragraph = sentences(40)  # ~2,800 characters, no blank line

    pieces = split_text(paragraph, MAX_CHARS)

    assert len(pieces) == 3
    assert all(len(piece) <= MAX_CHARS and piece.endswith("pots.") for piece in pieces)
    assert " ".join(pieces) == paragraph


def test_a_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    sentence = " ".join(["word"] * 700)  # 3,499 characters, no sentence end

    pieces = split_text(sentence, MAX_CHARS)

    assert all(len(piece) <= MAX_CHARS for piece in pieces)
    assert " ".join(pieces) == sentence


def test_jsonl_text_is_split_by_size_only() -> None:
    text = "## Not a heading in plain text\n\n" + "\n\n".join(
        sentences(6, 10 * i) for i in range(6)
    )
    document = Document(
        doc_id="j", title="FAQ: hours", text=text, source="/c.jsonl", file="c.jsonl"
    )

    pieces = chunk_document(document)

    assert len(pieces) > 1
    assert all(p.section == "FAQ: hours" and p.anchor == "" for p in pieces)
    assert all(len(p.text) <= MAX_CHARS for p in pieces)
    assert pieces[0].text.startswith("## Not a heading")


def test_small_sections_are_merged_until_they_are_large_enough() -> None:
    body = "## A\n\nOne.\n\n## B\n\nTwo.\n\n## C\n\n" + sentences(2)

    pieces = chunk_document(markdown(body))

    assert [(p.section, p.anchor) for p in pieces] == [("A", "a")]
    assert pieces[0].text.startswith("One.\n\n## B\n\nTwo.\n\n## C\n\n")
    assert all(len(p.text) >= MIN_CHARS for p in pieces)


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("My card hasn't arrived", "my-card-hasnt-arrived"),
        ("Fees & limits", "fees--limits"),  # github-slugger turns each space into '-'
        ("What's a `PIN`?", "whats-a-pin"),
        ("See [the app](https://example.com) **now**", "see-the-app-now"),
        ("Über 18s_only", "über-18s_only"),
    ],
)
def test_anchors_follow_github(heading: str, anchor: str) -> None:
    assert Slugger().slug(heading_text(heading)) == anchor


def test_repeated_headings_get_numbered_anchors_across_levels() -> None:
    body = "# FAQ\n\n" + "\n\n".join(f"## Fees\n\n{sentences(2, i)}" for i in range(3))

    pieces = chunk_document(markdown(body, title="FAQ"))

    assert [p.anchor for p in pieces] == ["fees", "fees-1", "fees-2"]


def test_a_leading_title_heading_counts_towards_anchor_numbering() -> None:
    pieces = chunk_document(markdown(f"# Fees\n\n{sentences(2)}\n\n## Fees\n\n{sentences(2, 5)}"))

    assert [(p.section, p.anchor) for p in pieces] == [("Guide", ""), ("Fees", "fees-1")]


def test_no_piece_is_empty_or_padded() -> None:
    pieces = chunk_document(markdown("\n\n## A\n\n\n\n## B\n\n" + sentences(3) + "\n\n\n"))

    assert pieces
    assert all(p.text == p.text.strip() and p.text for p in pieces)
    assert not any(re.search(r"\n{3,}", p.text) for p in pieces)
