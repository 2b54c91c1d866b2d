"""The fake upstream is held to the real thing: the same requests to it and to llama.cpp's
OpenAI-compatible server (the desk's self-hosted tier) must come back in the same shape.

Text differs (the fake replies from its script); what must not differ is everything a
client parses: fields and their types, the SSE framing, the final `[DONE]`, usage
counts, and what the gateway makes of each through LiteLLM. If either side changes, the
fault tests built on the fake stop being evidence, and this test says so.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from gateway import Gateway, StreamCompleted, TextDelta
from gateway.config import load_gateway_config
from localstack.process import ManagedProcess
from localstack.stack import model_server
from supportdesk.config import Settings
from tests.support.fake_upstream import FakeUpstream, Script, running_fake_upstream
from tests.support.ports import free_port

pytestmark = pytest.mark.integration

MODEL = "smollm2-135m-instruct"
REQUEST = {
    "model": MODEL,
    "messages": [{"role": "user", "content": "Say hello."}],
    "max_tokens": 8,
    "temperature": 0,
}


@pytest.fixture(scope="module")
async def llama_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    url = f"http://127.0.0.1:{free_port()}/v1"
    settings = Settings(data_dir=tmp_path_factory.mktemp("contract"), local_llm_url=url)
    server: ManagedProcess = model_server(settings)
    await server.start()
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture
async def fake() -> AsyncIterator[FakeUpstream]:
    """The fake set up as llama.cpp: no usage chunk at the end of a stream."""
    script = Script(reply="Hello there, how can I help?", stream_usage=False)
    async with running_fake_upstream(script) as upstream:
        yield upstream


def shape(value: Any) -> Any:
    """The JSON's structure with values replaced by their types; `null` matches anything
    optional, so it is dropped along with keys only one side sends (checked separately)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in sorted(value.items()) if v is not None}
    if isinstance(value, list):
        return [shape(v) for v in value[:1]]
    return type(value).__name__


def required(value: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: shape(value[k]) for k in sorted(keys)}


async def post(base: str, body: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base, timeout=120) as client:
        return await client.post("/chat/completions", json=body)


def sse_chunks(response: httpx.Response) -> tuple[list[dict[str, Any]], str]:
    """The JSON chunks of an SSE body, and its last `data:` payload."""
    payloads = [
        line.removeprefix("data:").strip()
        for line in response.text.splitlines()
        if line.startswith("data:")
    ]
    return [json.loads(p) for p in payloads if p != "[DONE]"], payloads[-1]


async def test_a_chat_completion_has_the_same_shape(llama_url: str, fake: FakeUpstream) -> None:
    real, played = await post(llama_url, REQUEST), await post(fake.url, REQUEST)
    assert real.status_code == played.status_code == 200
    shapes = []
    for body in (real.json(), played.json()):
        parsed = openai.types.chat.ChatCompletion.model_validate(body)
        assert parsed.object == "chat.completion"
        assert parsed.choices[0].message.role == "assistant"
        assert parsed.choices[0].finish_reason in ("stop", "length")
        assert parsed.usage is not None and parsed.usage.completion_tokens > 0
        choice = body["choices"][0]
        shapes.append(
            (
                required(body, {"id", "object", "created", "model", "usage"}),
                required(choice, {"index", "finish_reason"}),
                required(choice["message"], {"role", "content"}),
            )
        )
    assert shapes[0] == shapes[1]


async def test_a_chat_stream_has_the_same_framing(llama_url: str, fake: FakeUpstream) -> None:
    body = {**REQUEST, "stream": True, "stream_options": {"include_usage": True}}
    real, played = await post(llama_url, body), await post(fake.url, body)
    framings = []
    for response in (real, played):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        chunks, last = sse_chunks(response)
        assert last == "[DONE]"
        for chunk in chunks:
            openai.types.chat.ChatCompletionChunk.model_validate(chunk)
        with_choices = [c for c in chunks if c["choices"]]
        finishes = [c for c in with_choices if c["choices"][0].get("finish_reason")]
        text = "".join(c["choices"][0]["delta"].get("content") or "" for c in with_choices)
        framings.append(
            {
                "objects": {c["object"] for c in chunks},
                "one_finish_reason_at_the_end": len(finishes) == 1
                and finishes[0] is with_choices[-1],
                "has_text": bool(text.strip()),
                "usage_chunk": any(c.get("usage") for c in chunks),
                "first_chunk": required(with_choices[0], {"id", "object", "created", "model"}),
            }
        )
    assert framings[0] == framings[1]


async def test_the_model_list_has_the_same_shape(llama_url: str, fake: FakeUpstream) -> None:
    shapes = []
    for base in (llama_url, fake.url):
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            models = (await client.get("/models")).json()
        assert models["object"] == "list"
        shapes.append(required(models["data"][0], {"id", "object"}))
    assert shapes[0] == shapes[1]


def gateway_for(tmp_path: Path, url: str) -> Gateway:
    path = tmp_path / "models.yaml"
    path.write_text(
        f"""
model_list:
  - model_name: answer
    litellm_params: {{model: openai/{MODEL}, api_base: {url}, api_key: no-key, timeout: 60}}
    model_info: {{id: answer-under-test, serving_tier: self-hosted}}
  - model_name: embed
    litellm_params: {{model: local/all-MiniLM-L6-v2}}
    model_info: {{id: embed-minilm, serving_tier: self-hosted, dimension: 384}}
router_settings: {{num_retries: 0}}
"""
    )
    return Gateway(
        load_gateway_config(Settings(gateway_config=path), environ={}), default_max_tokens=8
    )


@pytest.mark.parametrize("side", ["llama.cpp", "fake as llama.cpp", "fake as OpenAI"])
async def test_the_gateway_reads_both_alike(
    llama_url: str, fake: FakeUpstream, tmp_path: Path, side: str
) -> None:
    """With or without a usage chunk, a streamed answer is counted (LiteLLM counts the
    tokens itself when the server does not), so self-hosted streams are never free."""
    fake.script.stream_usage = side == "fake as OpenAI"
    gateway = gateway_for(tmp_path, llama_url if side == "llama.cpp" else fake.url)
    try:
        completion = await gateway.complete("answer", REQUEST["messages"], temperature=0)
        events = [e async for e in gateway.stream("answer", REQUEST["messages"], temperature=0)]
    finally:
        await gateway.aclose()
    assert completion.text and completion.deployment == "answer-under-test"
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
    *deltas, last = events
    assert deltas and all(isinstance(e, TextDelta) for e in deltas)
    assert isinstance(last, StreamCompleted)
    assert last.completion.text == "".join(e.text for e in deltas)  # type: ignore[union-attr]
    assert last.completion.completion_tokens > 0
