"""Requests through the real models.yaml: happy path, fallback, chains, health.

The self-hosted deployment is played by a tiny OpenAI-compatible server on loopback. The
happy-path and health tests also run against the real llama.cpp server with
`pytest -m integration`, which keeps the fake honest.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway import Gateway, ModelGroupUnavailable, UnknownModelGroup, build_gateway
from modelserver import MODEL_ALIAS, build_command
from supportdesk.config import Settings
from tests.support.ports import free_port

SOURCES = [
    {
        "n": 1,
        "title": "Freezing your card",
        "text": "You can freeze your card in the Harbor app under Cards. "
        "Freezing stops new card payments straight away.",
    },
    {
        "n": 2,
        "title": "Replacement cards",
        "text": "A replacement card arrives within five working days.",
    },
]
QUESTION = "How do I freeze my card?"
MESSAGES = [
    {"role": "system", "content": "Answer from the numbered sources and cite them like [1]."},
    {"role": "user", "content": f"[1] Freezing your card\n...\n\nQuestion: {QUESTION}"},
]
METADATA = {"question": QUESTION, "sources": SOURCES}


@dataclass
class FakeOpenAI:
    """Just enough of llama.cpp's server: GET /v1/models, POST /v1/chat/completions."""

    url: str
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)


def _serve_fake() -> tuple[FakeOpenAI, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    fake = FakeOpenAI(url=f"http://127.0.0.1:{server.server_address[1]}/v1")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._reply(200, {"object": "list", "data": [{"id": MODEL_ALIAS, "object": "model"}]})

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            fake.requests.append({"headers": dict(self.headers), "body": body})
            if fake.status != 200:
                self._reply(fake.status, {"error": {"message": "llama.cpp exploded"}})
                return
            self._reply(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "Tap Freeze [1]."},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 42, "completion_tokens": 5, "total_tokens": 47},
                },
            )

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return fake, server


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    fake, server = _serve_fake()
    yield fake
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> FakeOpenAI:
    fake_server.status = 200
    fake_server.requests.clear()
    return fake_server


@pytest.fixture(autouse=True)
def no_provider_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A developer's exported keys or .env must not switch managed providers on here.
    monkeypatch.chdir(tmp_path)
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "LOCAL_LLM_URL", "EMBEDDING_MODEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def gateway(fake: FakeOpenAI) -> AsyncIterator[Gateway]:
    gw = build_gateway(Settings(local_llm_url=fake.url))
    yield gw
    await gw.aclose()


@pytest.fixture(params=["fake", pytest.param("llama.cpp", marks=pytest.mark.integration)])
async def local_model(request: pytest.FixtureRequest, fake: FakeOpenAI) -> AsyncIterator[str]:
    """The URL of an OpenAI-compatible server: the fake, or the real llama.cpp server."""
    if request.param == "fake":
        yield fake.url
        return
    url = f"http://127.0.0.1:{free_port()}/v1"
    process = await asyncio.create_subprocess_exec(*build_command(Settings(local_llm_url=url)))
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(300):
                try:
                    if (await client.get(f"{url}/models", timeout=1.0)).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
            else:
                pytest.fail("llama.cpp server did not become ready")
        yield url
    finally:
        process.terminate()
        await process.wait()


async def test_self_hosted_deployment_answers(local_model: str) -> None:
    gw = build_gateway(Settings(local_llm_url=local_model))
    try:
        completion = await gw.complete("answer", MESSAGES, max_tokens=16, metadata=METADATA)
        health = {h.id: h.status for h in await gw.health()}
    finally:
        await gw.aclose()

    assert completion.text.strip()
    assert completion.requested_group == "answer"
    assert completion.model_group == "answer-local"  # no keys: "answer" starts here
    assert completion.deployment == "answer-smollm2"
    assert completion.tier == "self-hosted"
    assert completion.model == "openai/smollm2-135m-instruct"
    assert completion.prompt_tokens > 0
    assert 0 < completion.completion_tokens <= 16
    assert completion.fallbacks_used is False
    assert health["answer-smollm2"] == "ok"


async def test_failing_local_model_falls_back_to_extractive(
    gateway: Gateway, fake: FakeOpenAI
) -> None:
    fake.status = 500

    completion = await gateway.complete("answer", MESSAGES, metadata=METADATA)

    assert len(fake.requests) == 1  # tried once (num_retries: 0), then fell back
    assert completion.model_group == "answer-extractive"
    assert completion.deployment == "answer-extractive"
    assert completion.tier == "deterministic"
    assert completion.fallbacks_used is True
    assert completion.text.startswith("You can freeze your card in the Harbor app under Cards [1].")
    assert (completion.prompt_tokens, completion.completion_tokens) == (0, 0)


async def test_metadata_and_unrelated_keys_never_reach_the_model_server(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With OPENAI_API_KEY set, LiteLLM sends it to any `openai/` model lacking its own
    # key: models.yaml gives the local one a literal key to stop that.
    monkeypatch.setenv("OPENAI_API_KEY", "sk-must-not-leak")
    gw = build_gateway(Settings(local_llm_url=fake.url))
    try:
        await gw.complete("answer-local", MESSAGES, metadata=METADATA)
    finally:
        await gw.aclose()

    (request,) = fake.requests
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == "Bearer no-key"
    assert "sk-must-not-leak" not in json.dumps(request)
    assert "metadata" not in request["body"]
    assert "Freezing stops new card payments" not in json.dumps(request["body"])
    assert request["body"]["model"] == MODEL_ALIAS


async def test_group_entered_further_down_keeps_its_own_chain(
    gateway: Gateway, fake: FakeOpenAI
) -> None:
    # Without keys triage enters at answer-local, but must not inherit answer-local's
    # fallback to the extractive responder: a quoted help article is not a triage label.
    fake.status = 500

    with pytest.raises(ModelGroupUnavailable) as raised:
        await gateway.complete("triage", [{"role": "user", "content": "my card is gone"}])

    assert raised.value.chain == ("answer-local",)


async def test_default_max_tokens_caps_the_request(gateway: Gateway, fake: FakeOpenAI) -> None:
    await gateway.complete("answer", MESSAGES)
    await gateway.complete("answer", MESSAGES, max_tokens=7, temperature=0.0)

    bodies = [r["body"] for r in fake.requests]
    assert bodies[0]["max_tokens"] == Settings().answer_max_tokens
    assert (bodies[1]["max_tokens"], bodies[1]["temperature"]) == (7, 0.0)


async def test_unknown_group_is_a_caller_bug(gateway: Gateway) -> None:
    with pytest.raises(UnknownModelGroup, match="answr"):
        await gateway.complete("answr", MESSAGES)


async def test_health_marks_a_dead_self_hosted_deployment_down() -> None:
    gw = build_gateway(Settings(local_llm_url=f"http://127.0.0.1:{free_port()}/v1"))
    try:
        health = await gw.health()
    finally:
        await gw.aclose()

    by_id = {h.id: h for h in health}
    assert by_id["answer-smollm2"].status == "down"
    assert "/v1/models" in (by_id["answer-smollm2"].detail or "")
    assert by_id["answer-extractive"].status == "ok"
    assert by_id["embed-minilm"].status == "ok"
    readiness = gw.group_readiness(health)
    assert readiness["answer"] is True  # the extractive tier always answers
    assert readiness["triage"] is False
    assert readiness["embed"] is True


async def test_health_never_calls_managed_providers(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    gw = build_gateway(Settings(local_llm_url=fake.url))
    try:
        health = {h.id: h.status for h in await gw.health()}
    finally:
        await gw.aclose()

    assert health["answer-openai"] == "configured"
    assert health["triage-openai"] == "configured"
    assert health["answer-smollm2"] == "ok"
    assert "answer-anthropic" not in health
    assert fake.requests == []  # /models is a GET; no completion was spent on a probe
