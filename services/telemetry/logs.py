"""Log lines as JSON, each with the trace and span it was written in.

A log line written while a turn runs carries that turn's `trace_id`, so an operator goes
from a warning ("group answer-local failed") to the whole turn (`supportdesk trace` or the
tracing backend) and back. Personal data is masked before formatting by the handlers'
`guardrails.pii.RedactingFilter`; this formatter adds nothing from the record but its
message, level, logger, time, exception and the ids.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from opentelemetry import trace


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            line["trace_id"] = f"{context.trace_id:032x}"
            line["span_id"] = f"{context.span_id:016x}"
        # The redacting filter leaves a masked traceback in exc_text; formatting exc_info
        # again would print the raw one.
        if record.exc_text:
            line["exception"] = record.exc_text
        elif record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False)
