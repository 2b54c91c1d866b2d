"""The API on embedded defaults, in-process, with the local model server down.

Everything is real (Qdrant local mode, MiniLM, the semantic router, SQLite) except that
LOCAL_LLM_URL points at a closed port, so answers come from the extractive tier: the
degraded path the desk must survive. tests/test_integration.py covers the live model.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from desk.agents.replies import DISCLOSURE
from desk.auth import mint_token
from supportdesk.config import Settings
from tests.support.desk_app import desk_settings, ingest_help_centre, running
from tests.support.fake_upstream import (
    Behaviour,
    Script,
    chain_models_yaml,
    running_fake_upstream,
    unused_url,
)
from tests.support.redis_server import RedisServer, temporary_redis
from tests.support.sse import parse_sse

QUESTION = "My card still hasn't arrived, what should I do?"
# A signed-in customer with no bank records: card questions go to the help centre.
CUSTOMER = "cus_newcomer"


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    with temporary_redis() as server:
        yield server


@pytest.fixture(scope="module")
async def settings(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Settings:
    settings = desk_settings(
        tmp_path_factory.mktemp("desk-data"),
        semantic_cache_enabled=True,
        redis_url=redis_server.url,
        # Generous for a loaded CI machine, yet far below a turn; recovery probed each second.
        semantic_cache_op_timeout_ms=500,
        semantic_cache_breaker_reset_s=1.0,
        max_turns=4,
    )
    return await ingest_help_centre(settings)


def bearer(settings: Settings, subject: str = CUSTOMER, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(settings, subject, **claims)}"}


@pytest.fixture(scope="module")
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running(settings, CUSTOMER) as client:
        yield client


async def start(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/conversations")
    assert response.status_code == 201
    assert response.json()["ai_disclosure"] == DISCLOSURE
    conversation_id: str = response.json()["id"]
    return conversation_id


async def test_a_card_question_streams_a_cited_answer(client: httpx.AsyncClient) -> None:
    cid = await start(client)
    response = await client.post(
        f"/v1/conversations/{cid}/messages",
        json={"content": QUESTION},
        headers={"Accept": "text/event-stream"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-accel-buffering"] == "no"
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names[0] == "route" and names[-1] == "done"
    # The streamed turn ran to its end inside the response and gave its slot back.
    assert client._transport.app.state.gate._busy == set()  # type: ignore[attr-defined]
    assert events[0][1]["route"] == "knowledge"
    answer = "".join(data["text"] for name, data in events if name == "token")
    assert "[1]" in answer or "[2]" in answer
    done = events[-1][1]
    assert "card-delivery" in {c["doc_id"] for c in done["citations"]}
    # The local model is down: the extractive tier answered, and the reply says so.
    assert done["answered_by"]["group"] == "answer-extractive"
    assert done["answered_by"]["tier"] == "deterministic"
    assert done["turn"] == 1


async def test_json_reply_and_history(client: httpx.AsyncClient) -> None:
    cid = await start(client)
    first = await client.post(f"/v1/conversations/{cid}/messages", json={"content": "hello"})
    assert first.status_code == 200
    assert first.json()["route"] == "smalltalk"
    second = await client.post(f"/v1/conversations/{cid}/messages", json={"content": QUESTION})
    body = second.json()
    assert body["route"] == "knowledge" and body["turn"] == 2
    assert body["citations"] and body["answer"]
    history = (await client.get(f"/v1/conversations/{cid}")).json()
    assert history["turns"] == 2
    assert [m["role"] for m in history["messages"]] == [
        "assistant",
        "customer",
        "assistant",
        "customer",
        "assistant",
    ]
    assert history["messages"][0]["content"] == DISCLOSURE  # before the customer wrote
    assert history["messages"][3]["content"] == QUESTION
    assert history["messages"][4]["metadata"]["citations"]


async def test_out_of_scope_is_answered_without_retrieval(client: httpx.AsyncClient) -> None:
    cid = await start(client)
    response = await client.post(
        f"/v1/conversations/{cid}/messages",
        json={"content": "What's a good recipe for banana bread?"},
        headers={"Accept": "text/event-stream"},
    )
    events = parse_sse(response.text)
    assert events[-1][1]["route"] == "out_of_scope"
    assert "retrieval" not in [name for name, _ in events]


async def test_asking_for_a_person_opens_a_ticket(client: httpx.AsyncClient) -> None:
    cid = await start(client)
    await client.post(f"/v1/conversations/{cid}/messages", json={"content": QUESTION})
    reply = await client.post(
        f"/v1/conversations/{cid}/messages", json={"content": "I want to speak to a human agent"}
    )
    body = reply.json()
    assert body["route"] == "handoff"
    reference = body["metadata"]["ticket"]["reference"]
    assert reference in body["answer"]
    assert body["metadata"]["ticket"]["summary"]


async def test_every_call_needs_a_valid_token(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cid = await start(client)
    url = f"/v1/conversations/{cid}/messages"
    cases = {
        "none": {"Authorization": ""},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "expired": bearer(settings, ttl_s=-3600),
        "wrong secret": {
            "Authorization": "Bearer "
            + mint_token(
                settings.model_copy(update={"auth_jwt_secret": SecretStr("x" * 40)}), CUSTOMER
            )
        },
    }
    for name, headers in cases.items():
        response = await client.post(url, json={"content": "hi"}, headers=headers)
        assert response.status_code == 401, name
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthenticated"
    expired = await client.get(f"/v1/conversations/{cid}", headers=cases["expired"])
    assert "expired" in expired.json()["error"]["message"]
    # Health stays open: probes carry no tokens.
    assert (await client.get("/healthz", headers={"Authorization": ""})).status_code == 200


async def test_a_customer_never_sees_another_customers_conversation(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cid = await start(client)
    assert await client.post(f"/v1/conversations/{cid}/messages", json={"content": "hello"})
    ben = bearer(settings, "cus_ben")
    other_tenant = bearer(settings, CUSTOMER, tenant="acme")
    for headers in (ben, other_tenant):
        read = await client.get(f"/v1/conversations/{cid}", headers=headers)
        assert read.status_code == 404 and read.json()["error"]["code"] == "conversation_not_found"
        write = await client.post(
            f"/v1/conversations/{cid}/messages", json={"content": "hi"}, headers=headers
        )
        assert write.status_code == 404
    assert (await client.get(f"/v1/conversations/{cid}")).json()["turns"] == 1
    agent = bearer(settings, "agent_sam", role="agent")
    as_agent = await client.post("/v1/conversations", headers=agent)
    assert as_agent.status_code == 403 and as_agent.json()["error"]["code"] == "customers_only"


async def test_bad_input_gets_a_readable_4xx(client: httpx.AsyncClient) -> None:
    cid = await start(client)
    url = f"/v1/conversations/{cid}/messages"

    huge = await client.post(url, json={"content": "a" * 100_000})
    assert huge.status_code == 413
    assert "limit" in huge.json()["error"]["message"]

    malformed = await client.post(
        url, content=b'{"content": "hi",', headers={"Content-Type": "application/json"}
    )
    assert malformed.status_code == 422
    assert "not valid JSON" in malformed.json()["error"]["message"]

    long = await client.post(url, json={"content": "a" * 3000})
    assert long.status_code == 422
    assert "limit is 2000" in long.json()["error"]["message"]

    not_an_object = await client.post(url, json=["hi"])
    assert not_an_object.status_code == 422
    assert "JSON object" in not_an_object.json()["error"]["message"]

    missing = await client.post(url, json={"text": "hi"})
    assert missing.status_code == 422
    assert "content" in missing.json()["error"]["message"]

    unknown = await client.post("/v1/conversations/nope/messages", json={"content": "hi"})
    assert unknown.status_code == 404
    assert "POST /v1/conversations" in unknown.json()["error"]["message"]
    assert (await client.get("/v1/conversations/nope")).status_code == 404

    # Nothing was lost: the conversation still takes a normal turn.
    ok = await client.post(url, json={"content": "thanks"})
    assert ok.status_code == 200 and ok.json()["turn"] == 1


async def test_turn_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    cid = await start(client)
    url = f"/v1/conversations/{cid}/messages"
    for _ in range(settings.max_turns):
        assert (await client.post(url, json={"content": "hello"})).status_code == 200
    over = await client.post(url, json={"content": "hello"})
    assert over.status_code == 409
    assert "new conversation" in over.json()["error"]["message"]


async def test_readiness_reports_the_model_tier_degraded(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["vector_store"]["status"] == "ok"
    assert body["checks"]["models"]["status"] == "degraded"
    deployments = {d["id"]: d for d in body["checks"]["models"]["deployments"]}
    assert deployments["answer-smollm2"]["status"] == "down"
    assert deployments["answer-extractive"]["status"] == "ok"
    assert body["checks"]["models"]["can_answer"]["answer"] is True


async def test_openapi_documents_the_endpoints(client: httpx.AsyncClient) -> None:
    spec = json.loads((await client.get("/openapi.json")).text)
    assert "/v1/conversations/{conversation_id}/messages" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_turns_never_block_the_event_loop(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Model inference, embeddings and storage all stay off the loop.

    blockbuster is the detector LangGraph's dev server runs. Start-up is exempt, and so is
    each code path's first run (LiteLLM imports modules lazily on first use); steady-state
    turns are not. A blocking call inside a provider would be swallowed by fallback, so
    the test records every detection rather than trusting status codes.
    """
    import blockbuster.blockbuster as detector_module

    detected: list[str] = []
    original = detector_module.BlockingError.__init__

    def record(self: Exception, func: str) -> None:
        detected.append(func)
        original(self, func)

    monkeypatch.setattr(detector_module.BlockingError, "__init__", record)

    async def converse() -> list[tuple[str, dict[str, Any]]]:
        cid = await start(client)
        url = f"/v1/conversations/{cid}/messages"
        for text in (QUESTION, "hello", "I want to speak to a person"):
            assert (await client.post(url, json={"content": text})).status_code == 200
        streamed = await client.post(
            url,
            json={"content": "How do I freeze my card?"},
            headers={"Accept": "text/event-stream"},
        )
        assert (await client.get(f"/v1/conversations/{cid}")).status_code == 200
        assert streamed.status_code == 200, streamed.text
        return parse_sse(streamed.text)

    await converse()
    detector = detector_module.BlockBuster()
    # Log lines to the terminal are written synchronously, as in every Python server.
    for write in ("io.TextIOWrapper.write", "io.BufferedWriter.write"):
        detector.functions[write].can_block_in("logging/__init__.py", {"emit", "flush"})
    detector.activate()
    try:
        events = await converse()
    finally:
        detector.deactivate()
    assert detected == []
    assert events[-1][0] == "done"


async def test_turns_report_usage_and_a_tenant_over_budget_gets_a_429(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    from dataclasses import replace

    from accounting import Budget, BudgetPolicy

    cid = await start(client)
    reply = await client.post(f"/v1/conversations/{cid}/messages", json={"content": QUESTION})
    usage = reply.json()["metadata"]["usage"]
    groups = [call["group"] for call in usage["calls"]]
    assert "answer-extractive" in groups  # the local model is down: extractive answered
    assert usage["cost_usd"] == 0.0  # nothing in the embedded default has a price

    assert (await client.get("/v1/usage")).status_code == 403  # customers never see spend
    agent = bearer(settings, "agent_sam", role="agent")
    report = (await client.get("/v1/usage", headers=agent)).json()
    assert report["tenant"] == "harbor" and report["budget"]["state"] == "ok"
    by_deployment = {m["deployment"]: m for m in report["models"]}
    assert by_deployment["answer-extractive"]["calls"] >= 1
    assert report["total"]["calls"] == sum(m["calls"] for m in report["models"])

    app = client._transport.app  # type: ignore[attr-defined]
    desk = app.state.desk
    app.state.desk = replace(desk, budgets=BudgetPolicy(Budget(), {"harbor": Budget(hard_usd=0)}))
    try:
        refused = await client.post(f"/v1/conversations/{cid}/messages", json={"content": "hi"})
    finally:
        app.state.desk = desk
    assert refused.status_code == 429
    assert "monthly model budget" in refused.json()["error"]["message"]
    assert (await client.get(f"/v1/conversations/{cid}")).json()["turns"] == 1


async def test_a_general_question_is_answered_from_the_cache_the_second_time(
    client: httpx.AsyncClient,
) -> None:
    question = "How long does standard card delivery take?"
    first = await client.post(
        f"/v1/conversations/{await start(client)}/messages", json={"content": question}
    )
    assert first.json()["metadata"]["answered_by"]["group"] != "cache"
    second = await client.post(
        f"/v1/conversations/{await start(client)}/messages",
        json={"content": question},
        headers={"Accept": "text/event-stream"},
    )
    events = parse_sse(second.text)
    names = [name for name, _ in events]
    assert "retrieval" not in names  # answered without retrieval or a model call
    cache_event = dict(events)["cache"]
    assert cache_event["status"] == "hit" and cache_event["exact"] is True
    done = events[-1][1]
    assert done["answered_by"]["group"] == "cache"
    assert done["citations"] == first.json()["citations"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed.strip() == first.json()["answer"]
    assert done["usage"]["cache_hits"] == 1 and done["usage"]["calls"] == []


async def test_a_question_about_my_card_is_never_cached(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        reply = await client.post(
            f"/v1/conversations/{await start(client)}/messages", json={"content": QUESTION}
        )
        assert reply.json()["metadata"]["answered_by"]["group"] != "cache"


@pytest.mark.parametrize("outage", ["killed", "paused"])
async def test_a_redis_outage_never_fails_a_turn_and_caching_comes_back(
    client: httpx.AsyncClient, redis_server: RedisServer, settings: Settings, outage: str
) -> None:
    question = f"How do I change the PIN of a card ({outage})?"

    async def ask() -> dict[str, Any]:
        url = f"/v1/conversations/{await start(client)}/messages"
        reply = await client.post(url, json={"content": question})
        assert reply.status_code == 200, reply.text
        body: dict[str, Any] = reply.json()
        return body

    await ask()
    if outage == "killed":
        redis_server.kill()
    else:
        redis_server.freeze()
    try:
        # Each turn spends two failures (lookup, store); the breaker opens within a few turns.
        for _ in range(settings.semantic_cache_breaker_failures):
            body = await ask()
            assert body["metadata"]["answered_by"]["group"] != "cache"
            assert body["citations"]
        ready = (await client.get("/readyz")).json()
        assert ready["status"] == "degraded"
        assert ready["checks"]["semantic_cache"]["status"] == "degraded: breaker open"
    finally:
        if outage == "killed":
            await asyncio.to_thread(redis_server.start)
        else:
            redis_server.thaw()

    # Nobody resets anything: the breaker half-opens on its own and caching resumes.
    for _ in range(30):
        await asyncio.sleep(settings.semantic_cache_breaker_reset_s)
        if (await ask())["metadata"]["answered_by"]["group"] == "cache":
            break
    else:
        pytest.fail("the cache did not come back after Redis did")
    ready = (await client.get("/readyz")).json()
    assert ready["checks"]["semantic_cache"]["status"] == "ok"


async def test_a_stream_cut_after_shown_text_ends_in_one_error_and_a_failed_turn(
    settings: Settings, tmp_path: Path
) -> None:
    """A managed primary (the fake upstream) cuts its stream after the first cited sentence.

    The customer has read that sentence, so no fallback may append a second answer: the
    stream ends with one `error`, the turn is recorded as failed, the history forgets the
    message, and sending it again is answered.
    """
    first = "If your card hasn't arrived, report it in the app [1]."
    script = Script(
        reply=f"{first} We send a new one within 5 working days [1].",
        otherwise=Behaviour("cut", cut_after=len(first.split(" ")) + 1),
    )
    async with running_fake_upstream(script) as primary:
        config = tmp_path / "models.yaml"
        config.write_text(chain_models_yaml(primary.url, unused_url()))
        # A second app beside the module's: it needs its own copy of the data directory,
        # since embedded Qdrant admits one client per folder.
        data = tmp_path / "data"
        shutil.copytree(settings.data_dir, data)
        cut_settings = settings.model_copy(
            update={"data_dir": data, "gateway_config": config, "semantic_cache_enabled": False}
        )
        async with running(cut_settings, CUSTOMER) as client:
            cid = await start(client)
            url = f"/v1/conversations/{cid}/messages"
            sse = {"Accept": "text/event-stream"}
            response = await client.post(url, json={"content": QUESTION}, headers=sse)
            events = parse_sse(response.text)
            names = [name for name, _ in events]
            assert names[-1] == "error" and names.count("error") == 1 and "done" not in names
            error = events[-1][1]
            assert (error["code"], error["retryable"]) == ("answer_interrupted", True)
            shown = "".join(data["text"] for name, data in events if name == "token")
            assert shown == first.removesuffix(".")
            assert len(primary.calls()) == 1  # nothing else was asked to continue it

            history = (await client.get(f"/v1/conversations/{cid}")).json()
            assert [m["content"] for m in history["messages"]] == [DISCLOSURE]
            assert history["turns"] == 0
            [failed] = history["failed_turns"]
            assert failed["message"] == QUESTION and failed["code"] == "answer_interrupted"
            assert failed["retryable"] and failed["shown"] == shown

            as_json = await client.post(url, json={"content": QUESTION})
            assert as_json.status_code == 503, as_json.text
            assert as_json.json()["error"]["code"] == "answer_interrupted"
            assert as_json.headers["retry-after"] == "1"

            primary.script.otherwise = Behaviour()
            retried = await client.post(url, json={"content": QUESTION})
            assert retried.status_code == 200, retried.text
            assert retried.json()["answer"] == script.reply and retried.json()["turn"] == 1
            history = (await client.get(f"/v1/conversations/{cid}")).json()
            assert history["messages"][1]["content"] == QUESTION
            assert len(history["messages"]) == 3 and len(history["failed_turns"]) == 2
