"""Reading queries.jsonl (../shared/EVAL_FORMAT.md) for every eval command.

Unknown fields are ignored, as the format promises; a malformed line stops the command with
its file and line number rather than being skipped, so a figure never silently covers fewer
queries than the file holds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


class QueryFileError(ValueError):
    """A queries file cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Query:
    id: str
    query: str
    history: tuple[tuple[str, str], ...] = ()
    """(role, content) of the conversation before the query, oldest first."""
    relevant_ids: tuple[str, ...] = ()
    intent: str | None = None
    reference_answer: str | None = None
    extra: dict[str, object] = field(default_factory=dict, compare=False, repr=False)


def read_queries(path: Path) -> list[Query]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise QueryFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QueryFileError(f"{path}: cannot read it ({exc})") from None
    queries = [_query(line, path, n) for n, line in enumerate(lines, start=1) if line.strip()]
    if not queries:
        raise QueryFileError(f"{path}: no queries in the file")
    return queries


def _query(line: str, path: Path, number: int) -> Query:
    where = f"{path}, line {number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise QueryFileError(f"{where}: invalid JSON ({exc.msg})") from None
    if not isinstance(row, dict):
        raise QueryFileError(f"{where}: expected a JSON object")
    text = row.get("query")
    if not isinstance(text, str) or not text.strip():
        raise QueryFileError(f"{where}: 'query' must be a non-empty string")
    history = row.get("history") or []
    if not isinstance(history, list) or not all(
        isinstance(turn, dict) and isinstance(turn.get("content"), str) for turn in history
    ):
        raise QueryFileError(f"{where}: 'history' must be a list of {{role, content}} objects")
    relevant = row.get("relevant_ids") or []
    if not isinstance(relevant, list) or not all(isinstance(i, str) for i in relevant):
        raise QueryFileError(f"{where}: 'relevant_ids' must be a list of strings")
    intent, reference = row.get("intent"), row.get("reference_answer")
    return Query(
        id=str(row.get("id", f"line-{number}")),
        query=text,
        history=tuple(
            ("assistant" if turn.get("role") == "assistant" else "user", turn["content"])
            for turn in history
        ),
        relevant_ids=tuple(relevant),
        intent=intent if isinstance(intent, str) and intent else None,
        reference_answer=reference if isinstance(reference, str) and reference else None,
    )
