"""Split a document into retrievable pieces along its headings.

Markdown is cut at `#`, `##` and `###` headings (deeper headings stay inside their section);
each piece keeps its heading path and anchor. The text before the first heading is a piece of
its own, labelled with the title. A long section is split between paragraphs, a too-long
paragraph between sentences, and only a too-long sentence between words. A section shorter
than `min_chars` joins the next one (with its heading kept in the text) rather than becoming
a fragment too small to answer anything. JSON Lines text has no headings: only the size rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.anchors import Slugger, heading_text
from ingest.documents import Document

MAX_CHARS = 1200
MIN_CHARS = 80
# Part of every content hash: changing how documents are cut re-chunks them on the next sync.
SCHEME = f"headings-v1/{MAX_CHARS}/{MIN_CHARS}"

_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
# A sentence ends at . ! or ? (after any closing quote or bracket) followed by space; a line
# break inside a paragraph (a list item, a table row) is as good a place to cut.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*[ \t]+|\n")


@dataclass(frozen=True)
class Piece:
    """A chunk's content, before it is given ids and a KB version."""

    section: str
    anchor: str
    text: str


@dataclass(frozen=True)
class _Section:
    path: tuple[str, ...]  # heading texts from the outermost; () for the text before them
    anchor: str
    level: int  # of its heading; 0 for the text before the first heading
    body: str


def chunk_document(
    document: Document, max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS
) -> list[Piece]:
    """The document's pieces, in reading order; never empty for a document with text."""
    if document.markdown:
        sections = _merge_small(_sections(document.text), min_chars)
    else:
        sections = [_Section((), "", 0, document.text.strip())]
    return [
        Piece(" › ".join(section.path) or document.title, section.anchor, text)
        for section in sections
        for text in split_text(section.body, max_chars)
    ]


def _sections(markdown: str) -> list[_Section]:
    slugger = Slugger()
    sections: list[_Section] = []
    stack: list[tuple[int, str]] = []
    current = _Section((), "", 0, "")
    lines: list[str] = []
    fence: str | None = None
    at_top = True  # nothing but blank lines so far: a `#` heading here is the article's title
    for line in markdown.split("\n"):
        in_fence = fence is not None
        fence = _fence_after(line, fence)
        heading = None if in_fence or fence is not None else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            at_top = at_top and not line.strip()
            continue
        level, text = len(heading.group(1)), heading_text(heading.group(2))
        anchor = slugger.slug(text)  # every heading counts towards GitHub's repeat numbering
        if level == 1 and at_top:
            at_top = False
            continue
        at_top = False
        if level > 3:
            lines.append(line)
            continue
        sections.append(_Section(current.path, current.anchor, current.level, _join(lines)))
        lines = []
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        current = _Section(tuple(t for _, t in stack), anchor, level, "")
    sections.append(_Section(current.path, current.anchor, current.level, _join(lines)))
    return [section for section in sections if section.body]


def _join(lines: list[str]) -> str:
    return "\n".join(lines).strip()


def _fence_after(line: str, fence: str | None) -> str | None:
    """The open code fence after `line`: None outside code blocks, else its opening marker."""
    stripped = line.strip()
    if fence is None:
        match = _FENCE.match(line)
        return match.group(1) if match else None
    closes = stripped.startswith(fence) and set(stripped) == {fence[0]}
    return None if closes else fence


def _merge_small(sections: list[_Section], min_chars: int) -> list[_Section]:
    merged: list[_Section] = []
    pending: _Section | None = None
    for section in sections:
        if pending is not None:
            section, pending = _combine(pending, section), None
        if len(section.body) < min_chars:
            pending = section
        else:
            merged.append(section)
    if pending is not None:
        # The last section is small: it joins the one before it, if there is one.
        merged.append(_combine(merged.pop(), pending) if merged else pending)
    return merged


def _combine(first: _Section, second: _Section) -> _Section:
    """`first` followed by `second`, whose heading stays in the text to keep it readable."""
    heading = f"{'#' * second.level} {second.path[-1]}\n\n" if second.path else ""
    return _Section(
        first.path, first.anchor, first.level, f"{first.body}\n\n{heading}{second.body}"
    )


def split_text(text: str, max_chars: int) -> list[str]:
    """Cut `text` into pieces of at most `max_chars`, at the largest boundary that allows it."""
    pieces: list[str] = []
    for block in _pack(_paragraphs(text), "\n\n", max_chars):
        if len(block) <= max_chars:
            pieces.append(block)
            continue
        for run in _pack(_sentences(block), "", max_chars):
            pieces.extend(_words(run, max_chars) if len(run.strip()) > max_chars else [run])
    return [piece.strip() for piece in pieces if piece.strip()]


def _paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines; a code block stays whole even if it has blank lines."""
    paragraphs: list[str] = []
    lines: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        if fence is None and not line.strip():
            if lines:
                paragraphs.append("\n".join(lines))
                lines = []
            continue
        lines.append(line)
        fence = _fence_after(line, fence)
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs


def _sentences(paragraph: str) -> list[str]:
    """Consecutive slices of `paragraph` (whitespace kept) that each end a sentence or line."""
    ends = [match.end() for match in _SENTENCE_END.finditer(paragraph)]
    starts = [0, *ends]
    return [paragraph[a:b] for a, b in zip(starts, [*ends, len(paragraph)], strict=True) if b > a]


def _pack(units: list[str], separator: str, max_chars: int) -> list[str]:
    """Greedily join consecutive units while the result stays within `max_chars`."""
    groups: list[str] = []
    current = ""
    for unit in units:
        candidate = f"{current}{separator}{unit}" if current else unit
        if current and len(candidate.strip()) > max_chars:
            groups.append(current)
            current = unit
        else:
            current = candidate
    if current:
        groups.append(current)
    return groups


def _words(text: str, max_chars: int) -> list[str]:
    """Last resort for a sentence longer than `max_chars`: cut at the last space that fits."""
    pieces: list[str] = []
    text = text.strip()
    while len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars + 1)
        if cut <= 0:
            cut = max_chars
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    pieces.append(text)
    return pieces
