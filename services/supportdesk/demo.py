"""`supportdesk demo`: the whole desk on embedded defaults, on one machine, in one command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal

import uvicorn

from desk.api.app import create_app
from desk.auth import mint_token
from gateway import build_gateway
from ingest.command import run as run_ingest
from localstack.stack import local_stack
from supportdesk.config import Settings

EXAMPLE_QUESTION = "My card still hasn't arrived, what should I do?"
DEMO_CUSTOMER = "cus_alice"  # her replacement card is in the post (services/bank/seed.py)


def banner(settings: Settings, parts: list[str]) -> str:
    base = f"http://{settings.host}:{settings.port}"
    # JSON's \u0027 keeps the apostrophe from closing the shell's single quotes.
    body = json.dumps({"content": EXAMPLE_QUESTION}).replace("'", "\\u0027")
    token = mint_token(settings, DEMO_CUSTOMER)
    return "\n".join(
        [
            "",
            "Harbor Bank support desk is running.",
            *(f"  {part}" for part in parts),
            f"  API: {base}   docs: {base}/docs   readiness: {base}/readyz",
            "",
            f"Try it as demo customer {DEMO_CUSTOMER} (paste into another terminal; other",
            "customers' tokens: supportdesk token --customer cus_ben, --list shows them all):",
            f"  export TOKEN={token}",
            f'  CID=$(curl -s -X POST -H "Authorization: Bearer $TOKEN" {base}/v1/conversations'
            " | python3 -c 'import sys,json; print(json.load(sys.stdin)[\"id\"])')",
            "  curl -N -H \"Authorization: Bearer $TOKEN\" -H 'Accept: text/event-stream' \\",
            "       -H 'Content-Type: application/json' \\",
            f"       -d '{body}' {base}/v1/conversations/$CID/messages",
            "",
            "Press Ctrl+C to stop.",
            "",
        ]
    )


async def ingest_knowledge_base(settings: Settings) -> int:
    args = argparse.Namespace(paths=[], tenant=None, no_progress=False)
    gateway = build_gateway(settings)
    try:
        return await run_ingest(args, settings, gateway.embedder)
    finally:
        await gateway.aclose()


async def run_demo(settings: Settings, skip_ingest: bool = False) -> int:
    if not skip_ingest and await ingest_knowledge_base(settings) == 2:
        return 2
    async with local_stack(settings) as parts:
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings), host=settings.host, port=settings.port, log_level="warning"
            )
        )
        # uvicorn turns SIGINT/SIGTERM into a graceful stop, then re-raises the signal once
        # it is done. Ignoring that echo lets this function stop the model server it started.
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: None)
        serving = asyncio.create_task(server.serve())
        # uvicorn offers a flag, not an event, for "listening"; poll it briefly.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        if server.started:
            print(banner(settings, parts), flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await serving
    return 0
