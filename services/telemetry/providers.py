"""The process's tracer and meter providers, configured once, whatever number of desks starts.

- Spans go to every registered sink: an OTLP/HTTP exporter when `OTEL_EXPORTER_OTLP_ENDPOINT`
  is set (batched on a background thread, so an unreachable collector never slows or fails
  a turn), the trace log each running desk keeps under its data dir (`telemetry.trace_log`,
  read by `supportdesk trace`), and whatever a test adds.
- Metrics are read by Prometheus at `/metrics` and, with the same endpoint variable, pushed
  by OTLP every `OTEL_METRIC_EXPORT_INTERVAL` milliseconds.

OpenTelemetry allows one global provider of each kind per process; tests start many desks
in one process, so the first configuration wins and later desks add or remove their own
span sinks (`Telemetry.add_sink`).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from telemetry.instruments import DURATION_BUCKETS, NODE_BUCKETS, TOKEN_BUCKETS

log = logging.getLogger(__name__)

SERVICE_NAME = "harbor-support-desk"


class FanOut(SpanProcessor):
    """Hands each ended span to the sinks registered now; sinks come and go with desks."""

    def __init__(self) -> None:
        self._sinks: tuple[SpanProcessor, ...] = ()
        self._lock = threading.Lock()

    def add(self, sink: SpanProcessor) -> None:
        with self._lock:
            self._sinks = (*self._sinks, sink)

    def remove(self, sink: SpanProcessor) -> None:
        with self._lock:
            self._sinks = tuple(s for s in self._sinks if s is not sink)
        sink.shutdown()

    def on_end(self, span: ReadableSpan) -> None:
        for sink in self._sinks:
            try:
                sink.on_end(span)
            except Exception:  # A broken sink loses its copy; the turn goes on.
                log.exception("span sink %s failed", type(sink).__name__)

    def shutdown(self) -> None:
        for sink in self._sinks:
            sink.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(sink.force_flush(timeout_millis) for sink in self._sinks)


@dataclass
class Telemetry:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider
    sinks: FanOut
    exporting: bool
    """Whether OTLP export is on."""

    def add_sink(self, sink: SpanProcessor) -> None:
        self.sinks.add(sink)

    def remove_sink(self, sink: SpanProcessor) -> None:
        self.sinks.remove(sink)


_configured: Telemetry | None = None
_lock = threading.Lock()


def configure_telemetry() -> Telemetry:
    """The process's telemetry, set up on the first call."""
    global _configured
    with _lock:
        if _configured is None:
            _configured = _build()
        return _configured


def current_telemetry() -> Telemetry | None:
    return _configured


def _build() -> Telemetry:
    resource = Resource.create(
        {
            "service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME),
            "service.version": _version(),
        }
    )
    exporting = bool(
        os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )
    sinks = FanOut()
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(sinks)
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        sinks.add(BatchSpanProcessor(OTLPSpanExporter()))
    readers: list[MetricReader] = [_prometheus_reader()]
    if exporting:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=_views())
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    log.info(
        "telemetry: OTLP export %s", "on" if exporting else "off (no OTEL_EXPORTER_OTLP_ENDPOINT)"
    )
    return Telemetry(tracer_provider, meter_provider, sinks, exporting)


def _views() -> list[View]:
    durations = ExplicitBucketHistogramAggregation(list(DURATION_BUCKETS))
    return [
        View(instrument_name="desk.turn.*", aggregation=durations),
        View(instrument_name="gen_ai.client.operation.duration", aggregation=durations),
        View(instrument_name="desk.admission.wait", aggregation=durations),
        View(
            instrument_name="desk.gc.pause",
            aggregation=ExplicitBucketHistogramAggregation(list(NODE_BUCKETS)),
        ),
        View(
            instrument_name="desk.event_loop.lag",
            aggregation=ExplicitBucketHistogramAggregation(list(NODE_BUCKETS)),
        ),
        View(
            instrument_name="desk.node.duration",
            aggregation=ExplicitBucketHistogramAggregation(list(NODE_BUCKETS)),
        ),
        View(
            instrument_name="gen_ai.client.token.usage",
            aggregation=ExplicitBucketHistogramAggregation(list(TOKEN_BUCKETS)),
        ),
    ]


def _prometheus_reader() -> MetricReader:
    from opentelemetry.exporter.prometheus import PrometheusMetricReader

    # Registers with prometheus_client's default registry, which /metrics serves.
    return PrometheusMetricReader()


def _version() -> str:
    try:
        return version("harbor-support-desk")
    except PackageNotFoundError:
        return "0"
