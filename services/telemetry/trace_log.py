"""A local trace log, so a turn can be followed with no collector running.

Each desk writes its finished spans as JSON lines under `DATA_DIR/traces/` from a background
thread (a `BatchSpanProcessor`, like the OTLP exporter). The file rolls over at
MAX_BYTES, keeping one previous file, so it stays bounded. `supportdesk trace
CONVERSATION_ID` reads it back as a tree. Spans carry identifiers and figures, never
message text, so the log holds nothing a span would not.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Final

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

FILE: Final = "spans.jsonl"
MAX_BYTES: Final = 20 * 1024 * 1024


class JsonLinesExporter(SpanExporter):
    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES) -> None:
        self._path = folder / FILE
        self._max_bytes = max_bytes
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = "".join(json.dumps(as_record(s), default=str) + "\n" for s in spans)
        try:
            with self._lock:
                self._path.parent.mkdir(parents=True, exist_ok=True)
                if self._path.exists() and self._path.stat().st_size > self._max_bytes:
                    self._path.replace(self._path.with_suffix(".jsonl.1"))
                with self._path.open("a", encoding="utf-8") as file:
                    file.write(lines)
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def trace_log(folder: Path) -> BatchSpanProcessor:
    return BatchSpanProcessor(JsonLinesExporter(folder), schedule_delay_millis=500)


def as_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    parent = span.parent
    return {
        "trace_id": f"{context.trace_id:032x}" if context else None,
        "span_id": f"{context.span_id:016x}" if context else None,
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "name": span.name,
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        "events": [
            {"name": event.name, "attributes": dict(event.attributes or {})}
            for event in span.events
        ],
    }


def read_records(folder: Path) -> Iterator[dict[str, Any]]:
    """Every logged span, the rolled-over file first; a torn last line is skipped."""
    for path in (folder / f"{FILE}.1", folder / FILE):
        if not path.exists():
            continue
        with path.open(encoding="utf-8") as file:
            for line in file:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue
