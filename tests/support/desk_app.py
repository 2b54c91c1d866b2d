"""The desk's app in-process for API tests: its settings on embedded defaults, the help
centre ingested, and a client signed in as one customer."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from desk.api.app import create_app
from desk.auth import mint_token
from gateway import build_gateway
from ingest.command import run as run_ingest
from supportdesk.config import Settings
from tests.support.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def desk_settings(data: Path, **overrides: Any) -> Settings:
    """Embedded stores under `data`, the bundled help centre, the local model's port closed
    (answers come from the extractive tier) and no semantic cache, unless overridden."""
    defaults: dict[str, Any] = {
        "data_dir": data,
        "kb_path": REPO / "helpcentre",
        "local_llm_url": f"http://127.0.0.1:{free_port()}/v1",
        "semantic_cache_enabled": False,
    }
    return Settings(**{**defaults, **overrides})


async def ingest_help_centre(settings: Settings) -> Settings:
    gateway = build_gateway(settings)
    try:
        args = argparse.Namespace(paths=[], tenant=None, no_progress=True)
        assert await run_ingest(args, settings, gateway.embedder) == 0
    finally:
        await gateway.aclose()
    return settings


def client_for(app: FastAPI, settings: Settings, subject: str, **claims: Any) -> httpx.AsyncClient:
    token = mint_token(settings, subject, **claims)
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://desk",
        headers={"Authorization": f"Bearer {token}"},
    )


@asynccontextmanager
async def running(
    settings: Settings, subject: str, **claims: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A started app and a client speaking as `subject`."""
    app: FastAPI = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        client_for(app, settings, subject, **claims) as client,
    ):
        yield client
