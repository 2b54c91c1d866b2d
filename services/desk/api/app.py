"""The FastAPI application: `create_app()` builds it; uvicorn serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

from desk.admission import admission_controller
from desk.api.errors import install_error_handlers
from desk.api.heap import Heap
from desk.api.limits import BodySizeLimit
from desk.api.routes import agents, audit, conversations, health, usage
from desk.api.shedding import ShedWhenOverloaded
from desk.auth import TokenVerifier
from desk.bootstrap import start_desk
from desk.turns import TurnGate
from supportdesk.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with start_desk(settings) as desk:
            app.state.desk = desk
            app.state.gate = gate = TurnGate(admission_controller(settings))
            app.state.verifier = TokenVerifier(settings)
            # Full collections walk only what turns leave behind (desk/api/heap.py).
            async with Heap().watching(), gate.controller.loop_lag.running():
                yield

    app = FastAPI(
        title="Harbor Bank support desk",
        version="0.1.0",
        description="Multi-agent customer support: triage, cited answers from the help centre, "
        "and handoff to a person. Stream a turn with `Accept: text/event-stream`.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    # Added last, so it runs first: under overload a turn is refused before anything else.
    app.add_middleware(ShedWhenOverloaded)
    install_error_handlers(app)
    # One server span per request, without a span per ASGI message; probes and scrapes
    # are left out of the traces.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls="healthz,readyz,metrics", exclude_spans=["receive", "send"]
    )
    app.include_router(health.router)
    app.include_router(conversations.router)
    app.include_router(usage.router)
    app.include_router(agents.router)
    app.include_router(audit.router)
    return app
