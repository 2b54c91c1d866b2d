"""The graph for LangGraph Studio and `langgraph dev` (see langgraph.json).

The platform brings its own checkpointer, so the graph is compiled without one. The
adapters are opened once per process, on the first request, and live as long as it does.
Stop `supportdesk serve` first: embedded Qdrant allows one process at a time. Opening the
adapters reads files, which the dev server's blocking-call detector would refuse inside a
run, hence `make studio` passes `--allow-blocking`; turns themselves never block the loop
(tests/test_api.py::test_turns_never_block_the_event_loop).
"""

from __future__ import annotations

import asyncio
import os
from contextlib import AsyncExitStack

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langgraph.graph.state import CompiledStateGraph

from desk.agents.graph import build_graph
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState, InputState
from desk.bootstrap import open_services
from supportdesk.config import get_settings

_services: AgentServices | None = None
_lock = asyncio.Lock()
_stack = AsyncExitStack()


async def make_graph() -> CompiledStateGraph[DeskState, DeskContext, InputState, DeskState]:
    global _services
    async with _lock:
        if _services is None:
            _services = await open_services(get_settings(), _stack)
    return build_graph(_services)
