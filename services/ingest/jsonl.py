"""Read a JSON Lines corpus in the documents.jsonl format: {id, title, text, metadata} per line.

Each line stands alone: a bad line is reported with its number and the others are still read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.documents import Document, SourceError


def read_jsonl(path: Path, file: str) -> list[Document | SourceError]:
    """Every line of `path` (shown to the user as `file`) as a document or an error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [SourceError(file, f"cannot read file: {exc.strerror or exc}")]
    results: list[Document | SourceError] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        if line.strip():
            results.append(_read_line(line, path, file, number))
    if not results:
        results.append(SourceError(file, "no documents in file"))
    return results


def _read_line(line: bytes, path: Path, file: str, number: int) -> Document | SourceError:
    try:
        record = json.loads(line.decode("utf-8-sig" if number == 1 else "utf-8"))
    except UnicodeDecodeError as exc:
        return SourceError(file, f"not valid UTF-8 (byte {exc.start} of the line)", number)
    except json.JSONDecodeError as exc:
        return SourceError(file, f"invalid JSON: {exc.msg} (column {exc.colno})", number)
    if not isinstance(record, dict):
        return SourceError(file, "expected a JSON object with id, title and text", number)
    try:
        doc_id, title, text = (_required_text(record, key) for key in ("id", "title", "text"))
        metadata = _metadata(record)
    except ValueError as exc:
        return SourceError(file, str(exc), number)
    return Document(
        doc_id=doc_id,
        title=title,
        text=text.replace("\r\n", "\n"),
        source=str(path),
        file=file,
        line=number,
        metadata=metadata,
    )


def _required_text(record: dict[str, Any], key: str) -> str:
    if key not in record:
        raise ValueError(f"missing '{key}'")
    value = record[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"'{key}' must be a non-empty string")
    return value.strip()


def _metadata(record: dict[str, Any]) -> dict[str, Any]:
    metadata = record.get("metadata", {})
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must be a JSON object")
    return metadata
