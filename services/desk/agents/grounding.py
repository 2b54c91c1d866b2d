"""Is a generated answer grounded? It must cite, and cite only sources it was given."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "[2]", "[1, 3]" and "[1][2]" all count; the numbers inside are what matters.
_CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


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
