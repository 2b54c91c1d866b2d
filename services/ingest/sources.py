"""Turn the paths a user names into validated documents, errors, and what may be pruned.

A path is a Markdown file, a directory (every `*.md` below it, sorted; hidden folders skipped)
or a JSON Lines file. A path whose reading produced any error is not pruned in that run, so a
typo in one article never deletes what was ingested before.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ingest.documents import Document, SourceError
from ingest.jsonl import read_jsonl
from ingest.markdown import read_markdown


@dataclass(frozen=True)
class Root:
    """A path the user named, resolved."""

    path: Path
    is_dir: bool

    def covers(self, file: Path) -> bool:
        """Whether reading this root reads `file` (were it to exist)."""
        if not self.is_dir:
            return file == self.path
        return file.is_relative_to(self.path) and _is_article(file.relative_to(self.path))


def _is_article(relative: Path) -> bool:
    return relative.suffix.lower() == ".md" and not any(
        part.startswith(".") for part in relative.parts
    )


@dataclass
class SourceSet:
    """The outcome of reading every path: documents to sync and inputs rejected."""

    documents: list[Document] = field(default_factory=list)
    errors: list[SourceError] = field(default_factory=list)
    roots: list[Root] = field(default_factory=list)
    # Ids found on rejected records (duplicates): what is stored for them is kept as it is.
    held_ids: set[str] = field(default_factory=set)
    # Files, and named paths, whose reading produced an error.
    failed_paths: set[Path] = field(default_factory=set)

    def prunable(self, source: str) -> bool:
        """Whether a stored document from `source` that is absent now should be deleted.

        Yes when a named path covers that file and no named path covering it had an error.
        """
        covering = [root for root in self.roots if root.covers(Path(source))]
        return bool(covering) and not any(self._had_error(root) for root in covering)

    def _had_error(self, root: Root) -> bool:
        return any(failed == root.path or root.covers(failed) for failed in self.failed_paths)


def read_sources(paths: Sequence[Path]) -> SourceSet:
    """Read every path (blocking: file I/O and parsing; run it in a worker thread)."""
    found = SourceSet()
    seen_files: set[Path] = set()
    for given in paths:
        resolved = given.resolve()
        found.roots.append(Root(resolved, resolved.is_dir()))
        files = _files(given, resolved)
        if isinstance(files, SourceError):
            found.errors.append(files)
            found.failed_paths.add(resolved)
            continue
        for path, file in files:
            # Overlapping paths (a folder and a file inside it) must not read a file twice,
            # or its documents would look like duplicates of themselves.
            if path not in seen_files:
                seen_files.add(path)
                _read_file(path, file, found)
    _reject_duplicates(found)
    return found


def _files(given: Path, resolved: Path) -> list[tuple[Path, str]] | SourceError:
    """(resolved path, path as the user would spell it) of every file a named path stands for."""
    if not resolved.exists():
        return SourceError(str(given), "no such file or directory")
    if resolved.is_dir():
        files = [
            (path, str(given / path.relative_to(resolved)))
            for path in sorted(_walk(resolved))
            if _is_article(path.relative_to(resolved))
        ]
        if not files:
            return SourceError(str(given), "no Markdown (*.md) files in this directory")
        return files
    if resolved.suffix.lower() not in (".md", ".jsonl"):
        return SourceError(str(given), "unsupported file type (expected .md, .jsonl or a folder)")
    return [(resolved, str(given))]


def _walk(directory: Path) -> Iterator[Path]:
    for path in directory.rglob("*"):
        if path.is_file():
            yield path


def _read_file(path: Path, file: str, found: SourceSet) -> None:
    results = (
        read_jsonl(path, file) if path.suffix.lower() == ".jsonl" else [read_markdown(path, file)]
    )
    for result in results:
        if isinstance(result, SourceError):
            found.errors.append(result)
            found.failed_paths.add(path)
        else:
            found.documents.append(result)


def _reject_duplicates(found: SourceSet) -> None:
    """Drop every copy of an id that occurs more than once: which one is right is unknowable."""
    first: dict[str, Document] = {}
    duplicated: set[str] = set()
    for document in found.documents:
        original = first.setdefault(document.doc_id, document)
        if original is not document:
            duplicated.add(document.doc_id)
            found.errors.append(
                SourceError(
                    document.file,
                    f"duplicate id '{document.doc_id}' (also in {original.location}); "
                    "neither copy ingested",
                    document.line,
                )
            )
            found.failed_paths.update({Path(document.source), Path(original.source)})
    found.documents = [d for d in found.documents if d.doc_id not in duplicated]
    found.held_ids = duplicated
