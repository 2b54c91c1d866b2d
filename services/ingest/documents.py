"""What the readers produce: a `Document` to ingest, or a `SourceError` saying why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Document:
    """One article or record, read and validated, before chunking."""

    doc_id: str
    title: str
    text: str
    source: str  # resolved path of the file it came from; stored with every chunk
    file: str  # the path as the user spelled it, for messages
    line: int | None = None  # line number in a JSON Lines file
    intents: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)
    markdown: bool = False  # whether headings structure the text

    @property
    def location(self) -> str:
        return self.file if self.line is None else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class SourceError:
    """An input that was skipped, and why, in words the author of the file can act on."""

    file: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.reason}"
