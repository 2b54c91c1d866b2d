"""OpenTelemetry for the desk: one tracer and one meter per process, spans named and
attributed after the GenAI semantic conventions where they exist (ADR 0019)."""

from telemetry.providers import Telemetry, configure_telemetry, current_telemetry
from telemetry.spans import current_trace_id, set_attributes, span, traced_node

__all__ = [
    "Telemetry",
    "configure_telemetry",
    "current_telemetry",
    "current_trace_id",
    "set_attributes",
    "span",
    "traced_node",
]
