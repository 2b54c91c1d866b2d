"""Watches everything the test suite makes the desk emit, for card numbers.

Span attributes and span events (exception messages included) are scanned as they end;
log records are scanned as production writes them, through the same redacting filter and
JSON formatter, on a copy so the tests' own log capture is untouched.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor

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
