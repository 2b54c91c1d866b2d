"""The body-size limit holds whether or not the client declares the size up front."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request

from desk.api.limits import BodySizeLimit


def echo_app(max_bytes: int) -> FastAPI:
    app = FastAPI()

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"received": len(await request.body())}

    app.add_middleware(BodySizeLimit, max_bytes=max_bytes)
    return app


async def chunks(total: int, size: int = 1000) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


async def test_declared_and_chunked_bodies_are_limited() -> None:
    transport = httpx.ASGITransport(app=echo_app(max_bytes=4096))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        small = await client.post("/echo", content=b"x" * 4096)
        assert small.json() == {"received": 4096}

        declared = await client.post("/echo", content=b"x" * 5000)
        assert declared.status_code == 413
        assert "4096 bytes" in declared.json()["error"]["message"]

        streamed = await client.post("/echo", content=chunks(50_000))
        assert streamed.status_code == 413

        chunked_ok = await client.post("/echo", content=chunks(3000))
        assert chunked_ok.json() == {"received": 3000}
