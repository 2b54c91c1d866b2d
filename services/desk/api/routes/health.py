"""Liveness, readiness and metrics.

`/metrics` serves Prometheus. `/healthz` says the process is up. `/readyz` checks every
dependency and reports each; it fails (503) only when the desk cannot answer at all, and
says "degraded" while a part is down but the desk still answers (for example the local
model, thanks to the extractive tier).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from desk.api.deps import DeskDep

router = APIRouter(tags=["health"])

CHECK_TIMEOUT_S = 2.0


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics() -> Response:
    """The desk's metrics in Prometheus' text format (`telemetry.instruments`). Rendering
    them takes tens of milliseconds, so it runs in a worker thread, not on the event loop
    the turns and their refusals share."""
    text = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _bounded(check: Any) -> bool:
    try:
        return bool(await asyncio.wait_for(check, timeout=CHECK_TIMEOUT_S))
    except Exception:
        return False


@router.get("/readyz")
async def readyz(desk: DeskDep) -> JSONResponse:
    vector_ok, records_ok, bank_ok, deployments = await asyncio.gather(
        _bounded(desk.store.ping()),
        _bounded(desk.records.ping()),
        _bounded(desk.bank.ping()),
        desk.gateway.health(),
    )
    models = [
        {"id": d.id, "group": d.group, "tier": d.tier, "status": d.status} for d in deployments
    ]
    models_down = [m for m in models if m["status"] == "down"]
    checks: dict[str, Any] = {
        "vector_store": {
            "status": "ok" if vector_ok else "down",
            "backend": "server" if desk.settings.qdrant_url else "embedded",
        },
        "records": {"status": "ok" if records_ok else "down", "backend": desk.records.backend},
        "bank": {"status": "ok" if bank_ok else "down", "backend": desk.bank.backend},
        "models": {
            "status": "degraded" if models_down else "ok",
            "deployments": models,
            "can_answer": desk.gateway.group_readiness(deployments),
        },
    }
    cache_status = await desk.cache.health() if desk.cache is not None else "disabled"
    checks["semantic_cache"] = {"status": cache_status}
    cache_degraded = cache_status not in ("ok", "disabled")
    if not (vector_ok and records_ok and bank_ok):
        status, code = "unavailable", 503
    elif models_down or cache_degraded:
        status, code = "degraded", 200
    else:
        status, code = "ready", 200
    return JSONResponse({"status": status, "checks": checks}, status_code=code)
