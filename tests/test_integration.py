"""The real local stack, as a newcomer runs it: the CLI, the llama.cpp model server and the
API under uvicorn on free ports, spoken to over HTTP (SSE included).

One scenario, in order, because each step builds on the last: ingest twice, hold a
multi-turn conversation, restart the API and read the history back, then stop the
model server and check the desk still answers and says it is degraded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from desk.agents.replies import DISCLOSURE
from desk.auth import mint_token
from localstack.process import ManagedProcess
from localstack.stack import model_server
from supportdesk.config import Settings
from tests.support.ports import free_port
from tests.support.redis_server import temporary_redis
from tests.support.sse import parse_sse

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
QUESTION = "My card still hasn't arrived, what should I do?"
# The API subprocess verifies with the development secret, as `supportdesk token` signs.
CUSTOMER = {"Authorization": f"Bearer {mint_token(Settings(_env_file=None), 'cus_newcomer')}"}  # type: ignore[call-arg]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("integration-data")
    with temporary_redis() as redis:
        yield {
            "DATA_DIR": str(data),
            "KB_PATH": str(REPO / "helpcentre"),
            "LOCAL_LLM_URL": f"http://127.0.0.1:{free_port()}/v1",
            "REDIS_URL": redis.url,
            "PORT": str(free_port()),
        }


def supportdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "supportdesk"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )


def api(env: dict[str, str]) -> ManagedProcess:
    return ManagedProcess(
        name="desk API",
        argv=[str(BIN / "supportdesk"), "serve"],
        ready_url=f"http://127.0.0.1:{env['PORT']}/healthz",
        log_path=Path(env["DATA_DIR"]) / "logs" / "api.log",
        env=env,
    )


@pytest.fixture(scope="module")
def models(env: dict[str, str]) -> Iterator[ManagedProcess]:
    settings = Settings(data_dir=Path(env["DATA_DIR"]), local_llm_url=env["LOCAL_LLM_URL"])
    server = model_server(settings)
    yield server
    server.stop()


def test_ingest_is_idempotent(env: dict[str, str]) -> None:
    first = supportdesk(env, "ingest", "--no-progress")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "added" in first.stdout
    second = supportdesk(env, "ingest", "--no-progress")
    assert second.returncode == 0, second.stdout + second.stderr
    assert "no changes" in second.stdout


async def test_conversation_survives_restart_and_model_outage(
    env: dict[str, str], models: ManagedProcess
) -> None:
    await models.start()
    server = api(env)
    await server.start(timeout_s=180)
    base = f"http://127.0.0.1:{env['PORT']}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120, headers=CUSTOMER) as client:
            ready = (await client.get("/readyz")).json()
            assert ready["status"] == "ready", ready

            cid = (await client.post("/v1/conversations")).json()["id"]
            streamed = await client.post(
                f"/v1/conversations/{cid}/messages",
                json={"content": QUESTION},
                headers={"Accept": "text/event-stream"},
            )
            events = parse_sse(streamed.text)
            done = events[-1][1]
            assert events[-1][0] == "done", events
            assert done["route"] == "knowledge"
            assert "card-delivery" in {c["doc_id"] for c in done["citations"]}
            assert done["answered_by"]["group"] in {"answer-local", "answer-extractive"}
            assert any(name == "token" for name, _ in events)
            # SmolLM2 was asked (and kept or replaced); its tokens are priced from models.yaml.
            local_calls = [c for c in done["usage"]["calls"] if c["deployment"] == "answer-smollm2"]
            assert local_calls and local_calls[0]["completion_tokens"] > 0
            assert local_calls[0]["cost_usd"] > 0 and done["usage"]["cost_usd"] > 0

            follow_up = await client.post(
                f"/v1/conversations/{cid}/messages",
                json={"content": "How long does delivery usually take?"},
            )
            assert follow_up.status_code == 200
            assert follow_up.json()["turn"] == 2

        server.stop()
        await server.start(timeout_s=180)
        async with httpx.AsyncClient(base_url=base, timeout=120, headers=CUSTOMER) as client:
            history = (await client.get(f"/v1/conversations/{cid}")).json()
            contents = [m["content"] for m in history["messages"]]
            assert contents[:2] == [DISCLOSURE, QUESTION] and len(contents) == 5
            assert history["turns"] == 2

            models.stop()
            answered = await client.post(
                f"/v1/conversations/{cid}/messages",
                json={"content": "How do I freeze my card?"},
            )
            body = answered.json()
            assert answered.status_code == 200, body
            assert body["metadata"]["answered_by"]["group"] == "answer-extractive"
            assert body["citations"]
            ready = (await client.get("/readyz")).json()
            assert ready["status"] == "degraded"
            assert ready["checks"]["models"]["status"] == "degraded"
    finally:
        server.stop()
