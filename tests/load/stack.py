"""The whole desk on this machine for a load run, each part its own process: the fake
upstream playing the managed model (test tooling, never a product default), Redis 8 for
the semantic cache, and the API under uvicorn, with the help centre ingested."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.fake_upstream import chain_models_yaml, unused_url
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Stack:
    url: str
    pid: int  # the API's process, whose memory the run samples


@dataclass(frozen=True)
class Upstream:
    ttft_ms: float = 300.0
    tokens_per_s: float = 40.0
    slots: int = 64  # calls in flight the managed tier takes from the desk


def wait_until_ready(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} while starting")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not answer {url} within {START_TIMEOUT_S:.0f} s")


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def local_stack(folder: Path, upstream: Upstream, **settings: str) -> Iterator[Stack]:
    """Starts the stack under `folder` (data, logs); `settings` become environment
    variables of the API (e.g. ADMISSION_ADAPTIVE="false")."""
    from localstack.redis import redis_server_argv

    folder.mkdir(parents=True, exist_ok=True)
    fake_port, redis_port, api_port = free_port(), free_port(), free_port()
    models = folder / "models.yaml"
    models.write_text(
        chain_models_yaml(
            f"http://127.0.0.1:{fake_port}/v1",
            unused_url(),
            timeout_s=30,
            primary_slots=upstream.slots,
            max_calls_per_turn=8,
        )
    )
    env = {
        **os.environ,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "HF_HUB_OFFLINE": "1",
        "DATA_DIR": str(folder / "data"),
        "GATEWAY_CONFIG": str(models),
        "SEMANTIC_CACHE_ENABLED": "true",
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "LOCAL_LLM_URL": unused_url(),
        "LOG_FORMAT": "json",
        **settings,
    }
    python = sys.executable
    with ExitStack() as stack:
        fake = stack.enter_context(
            process(
                [
                    python, "-m", "tests.support.fake_upstream", "--port", str(fake_port),
                    "--ttft-ms", str(upstream.ttft_ms), "--tps", str(upstream.tokens_per_s),
                ],
                env,
                folder / "fake-upstream.log",
            )
        )  # fmt: skip
        wait_until_ready(f"http://127.0.0.1:{fake_port}/v1/models", fake, "the fake upstream")
        redis_dir = folder / "redis"
        redis_dir.mkdir(exist_ok=True)
        stack.enter_context(
            process(redis_server_argv(redis_port, redis_dir), env, folder / "redis.log")
        )
        ingest = subprocess.run(
            [python, "-m", "supportdesk.cli", "ingest", "--no-progress"],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if ingest.returncode != 0:
            raise RuntimeError(f"ingest failed: {ingest.stderr[-2000:]}")
        api = stack.enter_context(
            process(
                [python, "-m", "supportdesk.cli", "serve", "--port", str(api_port)],
                env,
                folder / "api.log",
            )
        )
        url = f"http://127.0.0.1:{api_port}"
        wait_until_ready(f"{url}/healthz", api, "the API")
        yield Stack(url, api.pid)


@contextmanager
def bare_endpoint(folder: Path) -> Iterator[str]:
    """tests/load/bare.py under uvicorn, as the desk is served: the machine's ceiling."""
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "tests.load.bare:app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    with process(argv, dict(os.environ), folder / "bare.log") as bare:
        url = f"http://127.0.0.1:{port}"
        wait_until_ready(f"{url}/docs", bare, "the bare endpoint")
        yield url
