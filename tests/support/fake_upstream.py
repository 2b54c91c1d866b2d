"""A fault-injecting OpenAI-compatible server on loopback, for tests and benchmarks only.

It plays a model provider so the gateway's retries, timeouts, fallbacks and streaming can
be exercised without a network: POST /v1/chat/completions (JSON or SSE), POST
/v1/embeddings, GET /v1/models. It is test and benchmark tooling, never a product
default: nothing in services/ may point at it.

A `Script` says how to answer. Each chat or embeddings request takes the next `Behaviour`
from `script.then` and, once that queue is empty, uses `script.otherwise`; so "first call
429, then OK" is `Script(then=[Behaviour("429")])`. Latency (time to first token, tokens
per second) is injected with asyncio.sleep; tests must never assert on it.

A refused connection cannot be played by a listening server; point a deployment at
`unused_url()` instead.

    python -m tests.support.fake_upstream --port 8090 --ttft-ms 300 --tps 40 --fault none
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import socket
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import uvicorn

from tests.support.ports import free_port

Fault = Literal["none", "429", "500", "503", "hang", "cut", "malformed", "context_overflow"]
FAULTS: tuple[str, ...] = get_args(Fault)
EMBEDDING_DIMENSION = 8
MALFORMED_JSON = b'{"id": "chatcmpl-fake", "choices": [{"delta": {"content": '

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Behaviour:
    """How to answer one request.

    hang: accept the request and never answer (the client's timeout ends it).
    cut: stream `cut_after` tokens, then drop the connection without `[DONE]`
    (a non-streaming request is dropped before any byte of the body).
    malformed: status 200 with a body (or SSE chunk) that is not JSON.
    context_overflow: OpenAI's 400 for a prompt longer than the model's window.
    """

    fault: Fault = "none"
    retry_after_s: float | None = 1.0  # the Retry-After header of a 429
    cut_after: int = 0


@dataclass
class Script:
    reply: str = "Tap Freeze under Cards in the Harbor app [1]."
    ttft_s: float = 0.0
    tokens_per_s: float | None = None  # None: every token at once
    # OpenAI sends a final usage chunk when asked (`stream_options.include_usage`);
    # llama-cpp-python's server never does (tests/test_fake_upstream_contract.py).
    stream_usage: bool = True
    then: deque[Behaviour] = field(default_factory=deque)
    otherwise: Behaviour = field(default_factory=Behaviour)

    def __post_init__(self) -> None:
        self.then = deque(self.then)  # accept a plain list

    def next_behaviour(self) -> Behaviour:
        return self.then.popleft() if self.then else self.otherwise


@dataclass(frozen=True)
class SeenRequest:
    path: str
    model: str | None
    stream: bool
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeUpstream:
    url: str  # the OpenAI base URL, ending in /v1
    script: Script
    requests: list[SeenRequest] = field(default_factory=list)
    # Set on shutdown so hanging handlers return and the server can stop.
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    def calls(self, path: str = "/v1/chat/completions") -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan: nothing to set up
        path = scope["path"]
        if scope["method"] == "GET" and path == "/v1/models":
            await _json(send, 200, {"object": "list", "data": [{"id": "fake", "object": "model"}]})
            return
        body = await _body(receive)
        self.requests.append(
            SeenRequest(
                path=path,
                model=body.get("model"),
                stream=body.get("stream") is True,
                headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
                body=body,
            )
        )
        if path == "/v1/chat/completions":
            await self._chat(body, send)
        elif path == "/v1/embeddings":
            await self._embeddings(body, send)
        else:
            await _json(send, 404, {"error": {"message": f"no route {path}"}})

    async def _chat(self, body: dict[str, Any], send: Send) -> None:
        behaviour = self.script.next_behaviour()
        if await self._failed(behaviour, send):
            return
        tokens = _tokens(self.script.reply)
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in body["messages"])
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(tokens),
            "total_tokens": prompt_tokens + len(tokens),
        }
        await asyncio.sleep(self.script.ttft_s)
        if body.get("stream") is not True:
            if behaviour.fault == "cut":
                raise _DropConnection
            if behaviour.fault == "malformed":
                await _raw(send, MALFORMED_JSON)
                return
            message = {"role": "assistant", "content": self.script.reply}
            choice = {"index": 0, "message": message, "finish_reason": "stop"}
            await _json(
                send,
                200,
                {**_envelope(body, "chat.completion"), "choices": [choice], "usage": usage},
            )
            return
        await self._stream(body, tokens, usage, behaviour, send)

    async def _stream(
        self,
        body: dict[str, Any],
        tokens: list[str],
        usage: dict[str, int],
        behaviour: Behaviour,
        send: Send,
    ) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        envelope = _envelope(body, "chat.completion.chunk")
        for i, token in enumerate(tokens):
            if behaviour.fault == "cut" and i == behaviour.cut_after:
                raise _DropConnection
            if behaviour.fault == "malformed":
                await _event(send, MALFORMED_JSON.decode())
                return await _event(send, "[DONE]", more=False)
            delta = {"role": "assistant", "content": token} if i == 0 else {"content": token}
            chunk = {**envelope, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            await _event(send, json.dumps(chunk))
            if self.script.tokens_per_s:
                await asyncio.sleep(1 / self.script.tokens_per_s)
        if behaviour.fault == "cut":
            raise _DropConnection
        final = {**envelope, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        await _event(send, json.dumps(final))
        if self.script.stream_usage and (body.get("stream_options") or {}).get("include_usage"):
            await _event(send, json.dumps({**envelope, "choices": [], "usage": usage}))
        await _event(send, "[DONE]", more=False)

    async def _embeddings(self, body: dict[str, Any], send: Send) -> None:
        behaviour = self.script.next_behaviour()
        if await self._failed(behaviour, send):
            return
        if behaviour.fault == "malformed":
            await _raw(send, MALFORMED_JSON)
            return
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        data = [
            {"object": "embedding", "index": i, "embedding": _vector(str(text))}
            for i, text in enumerate(texts)
        ]
        usage = {"prompt_tokens": len(texts), "total_tokens": len(texts)}
        await _json(
            send, 200, {"object": "list", "data": data, "model": body["model"], "usage": usage}
        )

    async def _failed(self, behaviour: Behaviour, send: Send) -> bool:
        """Play the faults that come instead of an answer; True when one was played.

        `cut` and `malformed` are played where the answer would be, by the callers.
        """
        if behaviour.fault == "hang":
            await self.closing.wait()
            raise _DropConnection
        if behaviour.fault in ("429", "500", "503"):
            headers = []
            if behaviour.fault == "429" and behaviour.retry_after_s is not None:
                headers.append((b"retry-after", str(behaviour.retry_after_s).encode()))
            error = {"message": f"fake upstream: injected {behaviour.fault}", "type": "fake"}
            await _json(send, int(behaviour.fault), {"error": error}, headers)
            return True
        if behaviour.fault == "context_overflow":
            error = {
                "message": "This model's maximum context length is 8 tokens.",
                "type": "invalid_request_error",
                "code": "context_length_exceeded",
            }
            await _json(send, 400, {"error": error})
            return True
        return False


class _DropConnection(Exception):
    """Raised inside the app so uvicorn closes the connection without finishing the reply."""


def _tokens(reply: str) -> list[str]:
    words = reply.split(" ")
    return [w if i == len(words) - 1 else f"{w} " for i, w in enumerate(words)]


def _envelope(body: dict[str, Any], kind: str) -> dict[str, Any]:
    return {"id": "chatcmpl-fake", "object": kind, "created": 0, "model": body.get("model")}


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255 for b in digest[:EMBEDDING_DIMENSION]]


async def _body(receive: Receive) -> dict[str, Any]:
    raw = b""
    while True:
        message = await receive()
        raw += message.get("body", b"")
        if not message.get("more_body"):
            break
    parsed = json.loads(raw or b"{}")
    return parsed if isinstance(parsed, dict) else {}


async def _json(
    send: Send,
    status: int,
    payload: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    data = json.dumps(payload).encode()
    start_headers = [(b"content-type", b"application/json"), *(headers or [])]
    await send({"type": "http.response.start", "status": status, "headers": start_headers})
    await send({"type": "http.response.body", "body": data})


async def _raw(send: Send, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _event(send: Send, data: str, *, more: bool = True) -> None:
    await send(
        {"type": "http.response.body", "body": f"data: {data}\n\n".encode(), "more_body": more}
    )


def unused_url() -> str:
    """A loopback base URL nobody listens on: connecting to it is refused."""
    return f"http://127.0.0.1:{free_port()}/v1"


@asynccontextmanager
async def running_fake_upstream(script: Script | None = None) -> AsyncIterator[FakeUpstream]:
    """Serve a fake on a free loopback port in this event loop for the `async with` block."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    fake = FakeUpstream(
        url=f"http://127.0.0.1:{sock.getsockname()[1]}/v1", script=script or Script()
    )
    server = uvicorn.Server(
        uvicorn.Config(fake, lifespan="off", log_level="critical", timeout_graceful_shutdown=1)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # re-raise why it could not start
            await asyncio.sleep(0.01)
        yield fake
    finally:
        fake.closing.set()
        server.should_exit = True
        await task
        sock.close()


async def _serve_forever(port: int, script: Script) -> None:
    fake = FakeUpstream(url=f"http://127.0.0.1:{port}/v1", script=script)
    config = uvicorn.Config(fake, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    print(f"fake upstream (test tooling, not a provider) at {fake.url}", flush=True)
    await uvicorn.Server(config).serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--ttft-ms", type=float, default=0.0, help="time to first token")
    parser.add_argument("--tps", type=float, default=None, help="tokens per second")
    parser.add_argument("--fault", choices=FAULTS, default="none", help="played on every request")
    parser.add_argument("--cut-after", type=int, default=0, help="tokens before a `cut`")
    args = parser.parse_args(argv)
    behaviour = Behaviour(fault=args.fault, cut_after=args.cut_after)
    script = Script(ttft_s=args.ttft_ms / 1000, tokens_per_s=args.tps, otherwise=behaviour)
    asyncio.run(_serve_forever(args.port, script))


if __name__ == "__main__":
    main()


def chain_models_yaml(
    primary_url: str,
    local_url: str,
    *,
    max_calls: int = 6,
    max_calls_per_turn: int = 8,
    timeout_s: float = 2,
    primary_slots: int | None = None,
) -> str:
    """A models.yaml whose `answer` chain starts at `primary_url`, then `local_url`, then
    the extractive responder: the desk's chain with both model tiers played by fakes.
    `primary_slots` caps the primary's calls in flight (`model_info.max_concurrent`)."""
    slots = f", max_concurrent: {primary_slots}" if primary_slots else ""
    return f"""
model_list:
  - model_name: answer
    litellm_params:
      model: openai/primary
      api_base: {primary_url}
      api_key: fake-key
      timeout: {timeout_s}
      stream_timeout: {timeout_s / 2:g}
    model_info: {{id: answer-primary, serving_tier: managed{slots}}}
  - model_name: answer-local
    litellm_params:
      model: openai/local
      api_base: {local_url}
      api_key: no-key
      num_retries: 0
      timeout: {timeout_s}
    model_info: {{id: answer-local, serving_tier: self-hosted}}
  - model_name: answer-extractive
    litellm_params: {{model: extractive/responder}}
    model_info: {{id: answer-extractive, serving_tier: deterministic}}
  - model_name: embed
    litellm_params: {{model: local/all-MiniLM-L6-v2}}
    model_info: {{id: embed-minilm, serving_tier: self-hosted, dimension: 384}}
router_settings:
  fallbacks:
    - answer: [answer-local, answer-extractive]
    - answer-local: [answer-extractive]
  context_window_fallbacks:
    - answer: [answer-extractive]
  num_retries: 1
  allowed_fails: 1
  cooldown_time: 15
gateway:
  max_calls_per_request: {max_calls}
  max_calls_per_turn: {max_calls_per_turn}
"""
