"""Server-Sent Events framing, and the headers that stop proxies from buffering a stream."""

from __future__ import annotations

import json
from typing import Any

STREAM_HEADERS = {
    "Cache-Control": "no-cache, no-transform",
    "X-Accel-Buffering": "no",  # nginx and most ingress controllers honour this
    "Connection": "keep-alive",
}


def frame(event: str, data: dict[str, Any]) -> bytes:
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"event: {event}\ndata: {payload}\n\n".encode()
