"""Conversation state survives a restart, on the embedded SQLite and on a real Postgres."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from desk.agents.graph import build_graph
from desk.agents.state import DeskContext
from desk.checkpointer import open_checkpointer
from desk.records.sqlite import SqliteRecords
from supportdesk.config import Settings
from tests.support.fakes import DELIVERY, ScriptedGateway, ScriptedStore, scripted_services


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp_path,
        database_url=SecretStr(url) if url else None,
    )


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[SqliteRecords]:
    store = SqliteRecords(tmp_path / "records.sqlite")
    await store.setup()
    yield store
    await store.close()


async def test_history_survives_reopening_the_checkpointer(
    settings: Settings, records: SqliteRecords, tmp_path: Path
) -> None:
    services = scripted_services(
        ScriptedGateway({"answer": "Cards arrive within 5 working days [1]."}),
        ScriptedStore([DELIVERY]),
        records,
    )
    thread = f"restart-{tmp_path.name}"
    config = {"configurable": {"thread_id": thread}}
    context = DeskContext(tenant="harbor", conversation_id=thread)

    async with open_checkpointer(settings) as saver:
        graph = build_graph(services, saver)
        await graph.ainvoke(
            {"messages": [HumanMessage("Where is my card?")]}, config, context=context
        )

    async with open_checkpointer(settings) as saver:
        graph = build_graph(services, saver)
        snapshot = await graph.aget_state(config)
        contents = [m.content for m in snapshot.values["messages"]]
        assert contents == ["Where is my card?", "Cards arrive within 5 working days [1]."]
        assert snapshot.values["citations"][0]["doc_id"] == "card-delivery"
        await graph.ainvoke({"messages": [HumanMessage("thanks")]}, config, context=context)
        assert len((await graph.aget_state(config)).values["messages"]) == 4
