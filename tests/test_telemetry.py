"""Traces and metrics of real turns: the span tree from request to model call, the gateway's
fallback attempts and the cache's hit on their spans, /metrics moving, and the local trace
log read back by `supportdesk trace`.

The desk runs in-process on embedded defaults. Its `answer` chain starts at a managed model
played by the fake upstream, which fails every call (500). The local model's port is
closed, so the extractive tier answers after two fallbacks.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from desk.api.app import create_app
from guardrails.pii import RedactingFilter
from supportdesk.config import Settings
from telemetry import configure_telemetry, names, span
from telemetry.logs import JsonFormatter
from tests.support.desk_app import client_for, desk_settings, ingest_help_centre
from tests.support.fake_upstream import (
    Behaviour,
    FakeUpstream,
    Script,
    chain_models_yaml,
    running_fake_upstream,
    unused_url,
)
from tests.support.leak_scan import Leaks, LogScanner, SpanScanner
from tests.support.redis_server import RedisServer, temporary_redis

QUESTION = "How long does standard card delivery take?"
PERSONAL = "My card still hasn't arrived, what should I do?"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with temporary_redis() as server:
        yield server


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    sink = SimpleSpanProcessor(exporter)
    telemetry = configure_telemetry()
    telemetry.add_sink(sink)
    yield exporter
    telemetry.remove_sink(sink)


@pytest.fixture(scope="module")
async def upstream() -> AsyncIterator[FakeUpstream]:
    async with running_fake_upstream(Script(otherwise=Behaviour("500"))) as fake:
        yield fake


@pytest.fixture(scope="module")
async def settings(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer, upstream: FakeUpstream
) -> Settings:
    data = tmp_path_factory.mktemp("desk-data")
    config = data / "models.yaml"
    config.write_text(chain_models_yaml(upstream.url, unused_url()))
    settings = desk_settings(
        data,
        semantic_cache_enabled=True,
        redis_url=redis_server.url,
        gateway_config=config,
        semantic_cache_op_timeout_ms=500,
    )
    return await ingest_help_centre(settings)


@pytest.fixture(scope="module")
async def app(settings: Settings, spans: InMemorySpanExporter) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="module")
async def client(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, settings, "cus_newcomer") as http:
        yield http


async def ask(client: httpx.AsyncClient, question: str) -> str:
    cid: str = (await client.post("/v1/conversations")).json()["id"]
    reply = await client.post(f"/v1/conversations/{cid}/messages", json={"content": question})
    assert reply.status_code == 200, reply.text
    return cid


def turn_spans(spans: InMemorySpanExporter, conversation_id: str) -> list[ReadableSpan]:
    """Every span of the trace whose nodes name the conversation."""
    finished = spans.get_finished_spans()
    traces = {
        s.context.trace_id
        for s in finished
        if (s.attributes or {}).get(names.CONVERSATION_ID) == conversation_id
    }
    assert len(traces) == 1, f"{len(traces)} traces for one turn"
    return [s for s in finished if s.context.trace_id in traces]


def ancestors(span: ReadableSpan, spans: list[ReadableSpan]) -> list[str]:
    by_id = {s.context.span_id: s for s in spans}
    chain: list[str] = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        chain.append(span.name)
    return chain


def one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, f"{len(found)} spans named {name!r}: {[s.name for s in spans]}"
    return found[0]


async def test_a_turn_is_one_trace_from_request_to_model_call(
    client: httpx.AsyncClient, spans: InMemorySpanExporter, upstream: FakeUpstream
) -> None:
    cid = await ask(client, QUESTION)
    trace = turn_spans(spans, cid)

    request = one(trace, "POST /v1/conversations/{conversation_id}/messages")
    triage = one(trace, "node triage")
    retrieval = one(trace, "retrieval")
    call = one(trace, "chat answer")
    answer = one(trace, "node answer")
    assert request.name in ancestors(triage, trace)
    assert ancestors(retrieval, trace)[:1] == ["node retrieve"]
    assert request.name in ancestors(retrieval, trace)
    assert ancestors(call, trace)[:1] == ["node answer"]
    assert request.name in ancestors(answer, trace)

    assert triage.attributes is not None
    assert (triage.attributes[names.ROUTE], triage.attributes[names.TENANT]) == (
        "knowledge",
        "harbor",
    )
    assert triage.attributes[names.CONVERSATION_ID] == cid
    lookup = one(trace, "node cache_lookup").attributes or {}
    assert lookup[names.CACHE_HIT] is False
    found = retrieval.attributes or {}
    assert found[names.RETRIEVAL_K] == 4 and len(found[names.RETRIEVAL_SCORES]) >= 1  # type: ignore[arg-type]
    assert any(str(doc).startswith("card-delivery#") for doc in found[names.DATA_SOURCE_ID])  # type: ignore[union-attr]

    # The managed primary failed (500), the local model's port is closed: two attempts
    # fell back, each saying why, and the extractive tier answered.
    attempts = sorted(
        (s for s in trace if s.name.startswith("attempt ")),
        key=lambda s: (s.attributes or {})[names.ATTEMPT],  # type: ignore[arg-type,return-value]
    )
    assert [s.name for s in attempts] == [
        "attempt answer",
        "attempt answer-local",
        "attempt answer-extractive",
    ]
    assert all(ancestors(s, trace)[0] == "chat answer" for s in attempts)
    assert [(s.attributes or {}).get(names.FALLBACK_REASON) is not None for s in attempts] == [
        True,
        True,
        False,
    ]
    assert not attempts[0].status.is_ok and attempts[2].status.is_ok
    # The primary really was asked, and was told the trace: its attempt's span is the parent.
    context = attempts[0].context
    told = {call.headers.get("traceparent", "").rsplit("-", 1)[0] for call in upstream.calls()}
    assert f"00-{context.trace_id:032x}-{context.span_id:016x}" in told  # then the flags
    answered = call.attributes or {}
    assert answered[names.DEPLOYMENT] == "answer-extractive"
    assert answered[names.FALLBACKS_USED] is True
    assert {names.INPUT_TOKENS, names.OUTPUT_TOKENS, names.COST_USD} <= set(answered)

    # The embedding runs on a worker thread, and its span still joins the turn's trace.
    embeddings = [s for s in trace if s.name == "embeddings"]
    assert embeddings and all(request.name in ancestors(s, trace) for s in embeddings)

    # Identifiers, never the customer's words.
    for s in trace:
        assert QUESTION not in str(dict(s.attributes or {}))


async def test_a_cache_hit_is_on_the_lookups_span_and_skips_retrieval(
    app: FastAPI, settings: Settings, client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    question = "Is there a fee for ordering a replacement card?"
    first = turn_spans(spans, await ask(client, question))
    store = one(first, "node cache_store").attributes or {}
    assert (store["desk.cache.storable"], store["desk.cache.stored"]) == (True, True)
    cid = await ask(client, question)
    trace = turn_spans(spans, cid)
    lookup = one(trace, "node cache_lookup").attributes or {}
    assert lookup[names.CACHE_HIT] is True
    assert lookup[names.CACHE_SIMILARITY] == pytest.approx(1.0, abs=1e-3)
    assert not [s for s in trace if s.name in ("retrieval", "chat answer")]
    # The ledger counts the hit, with what it saved, beside the priced calls.
    async with client_for(app, settings, "ops_olivia", role="operator") as operator:
        usage = (await operator.get("/v1/usage")).json()
    [cached] = [m for m in usage["models"] if m["deployment"] == "semantic-cache"]
    assert cached["calls"] >= 1 and cached["cost_usd"] == 0


async def test_a_confirmed_action_is_traced_to_the_bank_write(
    app: FastAPI, settings: Settings, spans: InMemorySpanExporter
) -> None:
    async with client_for(app, settings, "cus_chloe") as chloe:
        cid = (await chloe.post("/v1/conversations")).json()["id"]
        url = f"/v1/conversations/{cid}/messages"
        assert (await chloe.post(url, json={"content": "I lost my card"})).status_code == 200
        proposed = turn_spans(spans, cid)
        assert (await chloe.post(url, json={"content": "yes"})).status_code == 200
    read = one(proposed, "bank list_cards")
    assert ancestors(read, proposed)[0] == "node cards"
    assert (read.attributes or {})["desk.bank.rows"] >= 1  # type: ignore[operator]
    assert (read.attributes or {})[names.TENANT] == "harbor"
    finished = spans.get_finished_spans()
    [second] = {
        s.context.trace_id
        for s in finished
        if (s.attributes or {}).get(names.CONVERSATION_ID) == cid
    } - {s.context.trace_id for s in proposed}
    confirmed = [s for s in finished if s.context.trace_id == second]
    write = one(confirmed, "bank freeze_card")
    assert ancestors(write, confirmed)[0] == "execute_tool freeze_card"
    assert (write.attributes or {})["desk.bank.changed"] is True
    # The bank's rows stay in the bank: no card number or name on any span.
    for traced in proposed + confirmed:
        assert "Chloe" not in str(dict(traced.attributes or {}))


async def test_metrics_move_after_turns(client: httpx.AsyncClient) -> None:
    before = (await client.get("/metrics")).text
    await ask(client, QUESTION)
    after = await client.get("/metrics")
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text

    def total(prefix: str) -> float:
        return sum(
            float(line.rsplit(" ", 1)[1])
            for line in text.splitlines()
            if line.startswith(prefix) and not line.startswith("#")
        )

    for series in (
        "desk_turns_total",
        "desk_turn_duration_seconds_bucket",
        "desk_turn_time_to_first_token_seconds_bucket",
        "desk_turns_in_flight",
        "desk_cache_lookups_total",
        "desk_gateway_fallbacks_total",
        "gen_ai_client_token_usage_bucket",
        "desk_model_cost_USD_total",
        "desk_node_duration_seconds_bucket",
        "gen_ai_client_operation_duration_seconds_bucket",
        "desk_turns_waiting",
        "desk_admission_limit",
        "desk_budget_spent_USD",
    ):
        assert series in text, series
    assert total("desk_turns_total") >= 1
    assert total("desk_turns_in_flight") == 0  # every finished turn gave its count back
    assert total("desk_gateway_fallbacks_total") >= 2
    assert "desk_turns_total" not in before or total("desk_turns_total") > sum(
        float(line.rsplit(" ", 1)[1])
        for line in before.splitlines()
        if line.startswith("desk_turns_total")
    )


async def supportdesk_trace(
    conversation_id: str, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "supportdesk.cli", "trace", conversation_id]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, env=env, timeout=120
    )


async def test_supportdesk_trace_prints_the_last_turn_from_the_trace_log(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    # About the customer's own card: never cached, so the models are asked again.
    cid = await ask(client, PERSONAL)
    telemetry = configure_telemetry()
    assert telemetry.sinks.force_flush()
    env = {**os.environ, "DATA_DIR": str(settings.data_dir)}
    shown = await supportdesk_trace(cid, env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("trace ")
    assert any("node triage" in line and "route=knowledge" in line for line in lines)
    assert any("attempt answer-local" in line and "FAILED" in line for line in lines), lines
    assert PERSONAL not in shown.stdout

    unknown = await supportdesk_trace("no-such-conversation", env)
    assert unknown.returncode == 1
    assert "no trace of conversation 'no-such-conversation'" in unknown.stderr


def test_json_log_lines_carry_the_trace_they_were_written_in() -> None:
    configure_telemetry()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.telemetry.json")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        with span("a turn") as current:
            logger.warning("card %s declined", "4111 1111 1111 1111")
        logger.info("between turns")
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["trace_id"] == f"{current.get_span_context().trace_id:032x}"
    assert inside["span_id"] == f"{current.get_span_context().span_id:016x}"
    assert (inside["level"], inside["event"]) == ("WARNING", "card [CARD_NUMBER] declined")
    assert "trace_id" not in outside


def test_the_suites_leak_scan_finds_a_card_number_in_a_span_or_a_log_line() -> None:
    leaks = Leaks()
    # A provider of its own: the careless span must not reach the suite's own scan.
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests.telemetry")
    with tracer.start_as_current_span("careless") as careless:
        careless.set_attribute("desk.note", "card 4111 1111 1111 1111 frozen")
    with tracer.start_as_current_span("careful") as careful:
        careful.set_attribute("desk.note", "card ending 1111 frozen")
    scanner = SpanScanner(leaks)
    for finished in exporter.get_finished_spans():
        scanner.on_end(finished)
    record = logging.LogRecord("desk", logging.ERROR, __file__, 1, "card %s", ("x",), None)
    record.exc_text = "ValueError: 4111-1111-1111-1111"
    LogScanner(leaks).emit(record)  # the redacting filter masks it, as in production
    assert len(leaks.found) == 1 and leaks.found[0].startswith("span 'careless': 4111")
