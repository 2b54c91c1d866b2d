"""Cut text into sentences, keeping where each one sits so it can be cut out again.

Markdown is cut at line breaks too (a heading, a list item or a table row is a sentence of
its own), and list markers, heading hashes and emphasis stay outside the sentence text, so
"1. Open **Cards**." is the sentence "Open **Cards**." at its own offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with any closing quotes or brackets) before whitespace, or at a
# line break. Abbreviations cost a spurious cut now and then, which is harmless here.
_BOUNDARY = re.compile(r"(?<=[.!?])\s+|(?<=[.!?])[\"'”’)\]]+\s+(?![a-z])|\n+")
_LEAD = re.compile(r"\s*(?:#{1,6}\s+|[-*+]\s+|\d{1,3}[.)]\s+|>\s*|\|\s*)*")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


def split(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    position = 0
    for boundary in [*_BOUNDARY.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        if boundary is not None and text[boundary.start() : boundary.end()].startswith(
            ('"', "'", "”", "’", ")", "]")
        ):
            # Closing quotes and brackets belong to the sentence they close.
            closing = len(boundary.group(0)) - len(boundary.group(0).lstrip("\"'”’)]"))
            end = boundary.start() + closing
        lead = _LEAD.match(text, position)
        start = lead.end() if lead else position
        piece = text[start:end].rstrip()
        if piece.strip():
            sentences.append(Sentence(start, start + len(piece), piece))
        if boundary is not None:
            position = boundary.end()
    return sentences
