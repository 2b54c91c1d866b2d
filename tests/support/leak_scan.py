"""Watches everything the test suite makes the desk emit, for card numbers.

Span attributes and span events (exception messages included) are scanned as they end;
log records are scanned as production writes them, through the same redacting filter and
JSON formatter, on a copy so the tests' own log capture is untouched; audit records are
scanned as either records backend writes them, every field as stored.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

from desk.records import AuditRecord
from desk.records.postgres import PostgresRecords
from desk.records.sqlite import SqliteRecords
from guardrails.pii import RedactingFilter, find
from telemetry.logs import JsonFormatter


def card_numbers(text: str) -> list[str]:
    return [text[s.start : s.end] for s in find(text) if s.kind == "card_number"]


@dataclass
class Leaks:
    found: list[str] = field(default_factory=list)

    def scan(self, where: str, values: Iterator[object]) -> None:
        for value in values:
            for number in card_numbers(str(value)):
                self.found.append(f"{where}: {number[:4]}… in {str(value)[:120]!r}")


class SpanScanner(SpanProcessor):
    def __init__(self, leaks: Leaks) -> None:
        self._leaks = leaks

    def on_end(self, span: ReadableSpan) -> None:
        values = [*(span.attributes or {}).values(), span.status.description or ""]
        for event in span.events:
            values.extend((event.attributes or {}).values())
        self._leaks.scan(f"span {span.name!r}", iter(values))


class LogScanner(logging.Handler):
    def __init__(self, leaks: Leaks) -> None:
        super().__init__(logging.INFO)
        self._leaks = leaks
        self._redacting = RedactingFilter()
        self._json = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        written = copy.copy(record)
        self._redacting.filter(written)
        self._leaks.scan(f"log {record.name}", iter([self._json.format(written)]))


def scan_audit(leaks: Leaks, record: AuditRecord) -> None:
    leaks.scan(f"audit record {record.kind}", iter(astuple(record)))


@contextmanager
def scanning_audit_records(leaks: Leaks) -> Iterator[None]:
    """Every audit record either backend writes is scanned before it is stored."""
    originals = {cls: cls.record_audit for cls in (SqliteRecords, PostgresRecords)}

    def scanned(
        write: Callable[[Any, AuditRecord], Awaitable[None]],
    ) -> Callable[[Any, AuditRecord], Awaitable[None]]:
        async def record_audit(self: Any, record: AuditRecord) -> None:
            scan_audit(leaks, record)
            await write(self, record)

        return record_audit

    for cls, write in originals.items():
        cls.record_audit = scanned(write)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, write in originals.items():
            cls.record_audit = write  # type: ignore[method-assign]
