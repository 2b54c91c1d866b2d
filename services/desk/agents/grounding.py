"""Is a generated answer grounded? It must cite, and cite only sources it was given."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "[2]", "[1, 3]" and "[1][2]" all count; the numbers inside are what matters.
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_CLOSING = re.compile(r"[.!?)]+")


@dataclass(frozen=True)
class Grounding:
    cited: tuple[int, ...]
    unknown: tuple[int, ...]

    @property
    def grounded(self) -> bool:
        return bool(self.cited) and not self.unknown


def check_citations(answer: str, source_count: int) -> Grounding:
    numbers: list[int] = []
    for match in _CITATION.finditer(answer):
        numbers.extend(int(part) for part in match.group(1).split(","))
    ordered = tuple(dict.fromkeys(numbers))
    return Grounding(
        cited=tuple(n for n in ordered if 1 <= n <= source_count),
        unknown=tuple(n for n in ordered if not 1 <= n <= source_count),
    )


class CitationGate:
    """Releases a streamed answer only as far as a citation to a given source vouches for it.

    Text is held until a valid `[n]` arrives, then everything up to that citation goes
    out, so the customer reads the answer as it is generated yet never reads a claim
    the answer has not yet backed. A citation to a source that was not given breaks the
    gate: what was released stays released (it was vouched for), the rest never is. At
    the end, an answer that cited at least one source releases its uncited tail ("If it
    still hasn't arrived, contact us."), the same rule `check_citations` applies to a
    whole answer.
    """

    def __init__(self, source_count: int) -> None:
        self._source_count = source_count
        self._text = ""
        self._released = 0
        self.broken = False

    @property
    def released(self) -> str:
        return self._text[: self._released]

    @property
    def text(self) -> str:
        return self._text

    def feed(self, piece: str) -> str:
        """Takes the next piece of the answer; returns the text now safe to show."""
        if self.broken:
            return ""
        self._text += piece
        held = self._text[self._released :]
        vouched_to = 0
        for match in _CITATION.finditer(held):
            numbers = [int(part) for part in match.group(1).split(",")]
            if not all(1 <= n <= self._source_count for n in numbers):
                self.broken = True
                break
            vouched_to = match.end()
        return self._release(vouched_to)

    def finish(self) -> str:
        """The stream has ended; returns the tail when the answer as a whole is grounded."""
        if not self._released:
            return ""
        if self.broken:
            # Only the punctuation that closes the last vouched-for sentence.
            closing = _CLOSING.match(self._text, self._released)
            return self._release(closing.end() - self._released) if closing else ""
        return self._release(len(self._text) - self._released)

    def _release(self, length: int) -> str:
        if not length:
            return ""
        start = self._released
        self._released += length
        piece = self._text[start : self._released]
        return piece.lstrip() if start == 0 else piece
