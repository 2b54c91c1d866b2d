"""What an ingest run did, and its short human-readable summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.documents import SourceError


@dataclass(frozen=True)
class Neutralisation:
    """Sentences cut from one chunk because they instructed the assistant (ADR 0015)."""

    doc_id: str
    chunk_index: int
    sentences: int
    families: tuple[str, ...]

    def __str__(self) -> str:
        cut = _count(self.sentences, "sentence")
        return f"{self.doc_id} (chunk {self.chunk_index}): {cut} cut, {', '.join(self.families)}"


@dataclass
class IngestReport:
    """Counts are of documents unless named chunks; errors are the inputs skipped."""

    tenant: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    chunks_written: int = 0
    chunks_deleted: int = 0
    errors: list[SourceError] = field(default_factory=list)
    kb_version_before: str | None = None
    kb_version_after: str | None = None
    neutralised: list[Neutralisation] = field(default_factory=list)

    @property
    def sentences_neutralised(self) -> int:
        return sum(n.sentences for n in self.neutralised)

    @property
    def documents(self) -> int:
        """Documents read without error (whatever the run had to do with them)."""
        return self.added + self.updated + self.unchanged

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything (chunks or the KB version)."""
        return bool(
            self.added
            or self.updated
            or self.deleted
            or self.kb_version_after != self.kb_version_before
        )

    def render(self) -> str:
        if self.changed:
            summary = (
                f"added {self.added}, updated {self.updated}, deleted {self.deleted}, "
                f"unchanged {self.unchanged} ({self.chunks_written} chunks written, "
                f"{self.chunks_deleted} deleted); KB version "
                f"{self.kb_version_before or 'none'} → {self.kb_version_after or 'none'}"
            )
        else:
            summary = (
                f"no changes: {_count(self.unchanged, 'document')} unchanged, "
                f"KB version {self.kb_version_after or 'none'}"
            )
        lines = [f"{summary} (tenant {self.tenant})"]
        if self.neutralised:
            lines.append(
                f"neutralised {_count(self.sentences_neutralised, 'planted sentence')} in "
                f"{_count(len(self.neutralised), 'chunk')}; check these documents:"
            )
            lines.extend(f"  {item}" for item in self.neutralised)
        if self.errors:
            skipped = _count(len(self.errors), "input")
            lines.append(f"skipped {skipped}; nothing stored from their files was deleted:")
            lines.extend(f"  {error}" for error in self.errors)
        return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
