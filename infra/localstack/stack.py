"""Which local processes the demo starts, decided from settings.

Only what the configuration points at this machine is started: a LOCAL_LLM_URL that
already answers (or points elsewhere) is used as it is.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

from localstack.process import ManagedProcess, answers
from localstack.redis import RedisProcess, redis_answers
from modelserver import build_command
from supportdesk.config import Settings

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def model_server(settings: Settings) -> ManagedProcess:
    return ManagedProcess(
        name="model server (llama.cpp, SmolLM2-135M-Instruct)",
        argv=build_command(settings),
        ready_url=settings.local_llm_url.rstrip("/") + "/models",
        log_path=settings.data_dir / "logs" / "modelserver.log",
    )


async def ensure_redis(settings: Settings, started: list[RedisProcess]) -> str:
    if not settings.semantic_cache_enabled:
        return "semantic cache: disabled"
    if await redis_answers(settings.redis_url):
        return f"redis: already running at {settings.redis_url}"
    parts = urlsplit(settings.redis_url)
    if (parts.hostname or "") not in LOOPBACK or parts.port is None:
        return f"redis: {settings.redis_url} is not answering (cache bypassed)"
    redis = RedisProcess(parts.port, settings.data_dir / "redis")
    await redis.start()
    started.append(redis)
    return f"redis 8 (semantic cache): started at {redis.url} (log {redis.log_path})"


@asynccontextmanager
async def local_stack(settings: Settings) -> AsyncIterator[list[str]]:
    """Starts what is missing; yields a line per part for the banner; stops what it started."""
    started: list[ManagedProcess] = []
    redis_started: list[RedisProcess] = []
    lines: list[str] = []
    try:
        lines.append(await ensure_redis(settings, redis_started))
        server = model_server(settings)
        host = urlsplit(settings.local_llm_url).hostname or ""
        if await answers(server.ready_url):
            lines.append(f"model server: already running at {settings.local_llm_url}")
        elif host in LOOPBACK:
            await server.start()
            started.append(server)
            lines.append(
                f"model server: started at {settings.local_llm_url} (log {server.log_path})"
            )
        else:
            lines.append(f"model server: {settings.local_llm_url} is not answering (degraded)")
        yield lines
    finally:
        for process in reversed(started):
            process.stop()
        for redis in redis_started:
            redis.stop()
