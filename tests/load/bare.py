"""The machine's ceiling for the capacity run: the desk's two customer routes with nothing
behind them, a bare FastAPI app under the same uvicorn, so the desk's turns per second
can be read against what this machine serves at all.

    python -m uvicorn tests.load.bare:app --port 8001
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI

app = FastAPI(title="bare endpoint")


@app.post("/v1/conversations", status_code=201)
async def start_conversation() -> dict[str, str]:
    return {"id": uuid.uuid4().hex}


@app.post("/v1/conversations/{conversation_id}/messages")
async def post_message(conversation_id: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"conversation_id": conversation_id, "answer": str(message.get("content", ""))}
