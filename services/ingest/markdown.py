"""Read one Markdown article: YAML front matter (id, title, intents, updated), then the body."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

from ingest.documents import Document, SourceError

# python-frontmatter is lenient where an ingest job must not be: it reads an unclosed block
# or a YAML list as "no front matter". A strict split gives the author a precise reason.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*$\n?", re.DOTALL | re.MULTILINE)


def read_markdown(path: Path, file: str) -> Document | SourceError:
    """Read `path` (shown to the user as `file`) into a document, or say why it cannot be."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return SourceError(file, f"cannot read file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return SourceError(file, f"not valid UTF-8 (byte {exc.start})", line)
    text = text.replace("\r\n", "\n").replace("\r", "\n")

    if not text.startswith("---"):
        return SourceError(file, "missing front matter (a '---' block with id and title)")
    match = _FRONT_MATTER.match(text)
    if match is None:
        return SourceError(file, "front matter is not closed by a '---' line")
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # +1 for 1-based numbering, +1 for the opening '---'.
        yaml_line: int | None = mark.line + 2 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        return SourceError(file, f"invalid front matter YAML: {problem}", yaml_line)
    if not isinstance(meta, dict):
        return SourceError(file, "front matter must be a mapping of keys (id: ..., title: ...)")

    try:
        doc_id, title, intents, metadata = _front_matter_fields(meta)
    except ValueError as exc:
        return SourceError(file, str(exc))
    body = text[match.end() :].strip()
    if not body:
        return SourceError(file, "no article text after the front matter")
    return Document(
        doc_id=doc_id,
        title=title,
        text=body,
        source=str(path),
        file=file,
        intents=intents,
        metadata=metadata,
        markdown=True,
    )


def _front_matter_fields(
    meta: dict[Any, Any],
) -> tuple[str, str, tuple[str, ...], dict[str, Any]]:
    """(id, title, intents, metadata); a ValueError's message says what is wrong."""
    for key in ("id", "title"):
        if key not in meta:
            raise ValueError(f"missing front matter key '{key}'")
        if not isinstance(meta[key], str) or not meta[key].strip():
            raise ValueError(f"front matter key '{key}' must be a non-empty string")
    intents = meta.get("intents", [])
    if not isinstance(intents, list) or not all(isinstance(i, str) and i for i in intents):
        raise ValueError("front matter key 'intents' must be a list of intent names")
    metadata: dict[str, Any] = {}
    if "updated" in meta:
        updated = _as_date(meta["updated"])
        if updated is None:
            raise ValueError("front matter key 'updated' must be a date (YYYY-MM-DD)")
        metadata["updated"] = updated.isoformat()
    return meta["id"].strip(), meta["title"].strip(), tuple(intents), metadata


def _as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None
