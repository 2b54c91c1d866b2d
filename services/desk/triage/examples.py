"""The labelled utterances the router compares a message with, read from JSON Lines files.

Each line has the queries.jsonl shape of the evaluation data: {"id", "query", "intent"}.
The files' fingerprint keys the on-disk embedding cache, so editing an example is enough
to have it embedded again on the next start.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from desk.triage.routes import route_for

EXAMPLES_DIR: Final = Path(__file__).resolve().parent / "examples"


@dataclass(frozen=True)
class Example:
    id: str
    query: str
    intent: str


@dataclass(frozen=True)
class ExampleSet:
    examples: tuple[Example, ...]
    fingerprint: str
    """sha256 over every file's name and bytes: changes whenever any example does."""

    @property
    def intents(self) -> frozenset[str]:
        return frozenset(example.intent for example in self.examples)


def load_examples(directory: Path = EXAMPLES_DIR) -> ExampleSet:
    """Reads every *.jsonl file in `directory`, refusing anything the router could not use.

    Blocking file I/O: call it from a worker thread inside the service.
    """
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise FileNotFoundError(f"no router examples (*.jsonl) in {directory}")
    digest = hashlib.sha256()
    examples: list[Example] = []
    seen: set[str] = set()
    for path in files:
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw + b"\0")
        for number, line in enumerate(raw.decode("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            example = _parse(line, f"{path.name}:{number}")
            if example.id in seen:
                raise ValueError(f"{path.name}:{number}: duplicate example id {example.id!r}")
            seen.add(example.id)
            examples.append(example)
    return ExampleSet(tuple(examples), digest.hexdigest())


def _parse(line: str, where: str) -> Example:
    try:
        row = json.loads(line)
        example = Example(id=str(row["id"]), query=str(row["query"]), intent=str(row["intent"]))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{where}: not an example line ({exc})") from None
    if not example.query.strip():
        raise ValueError(f"{where}: empty query")
    try:
        route_for(example.intent)
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    return example
