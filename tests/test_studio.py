"""langgraph.json opens the desk's graph, as LangGraph Studio and `langgraph dev` load it."""

from __future__ import annotations

import importlib.util
import json
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from desk.agents.services import AgentServices
from desk.records.sqlite import SqliteRecords
from supportdesk.config import Settings
from tests.support.fakes import ScriptedGateway, ScriptedStore, scripted_services

REPO = Path(__file__).resolve().parents[1]


async def test_langgraph_json_points_at_a_factory_that_builds_the_graph(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spec = json.loads((REPO / "langgraph.json").read_text())
    path, attribute = spec["graphs"]["desk"].split(":")
    module_spec = importlib.util.spec_from_file_location("studio_graph", REPO / path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)

    records = SqliteRecords(tmp_path / "records.sqlite")
    await records.setup()
    opened: list[Settings] = []

    async def fake_open_services(settings: Settings, stack: AsyncExitStack) -> AgentServices:
        opened.append(settings)
        return scripted_services(ScriptedGateway({}), ScriptedStore([]), records)

    monkeypatch.setattr(module, "open_services", fake_open_services)
    graph = await getattr(module, attribute)()
    again = await getattr(module, attribute)()
    await records.close()

    assert len(opened) == 1  # adapters are opened once per process, not per run
    assert graph.checkpointer is None  # the platform brings its own
    nodes = set(graph.get_graph().nodes)
    assert {"triage", "retrieve", "answer", "not_covered", "handoff", "smalltalk"} <= nodes
    assert set(again.get_graph().nodes) == nodes
