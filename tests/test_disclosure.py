"""AI disclosure (EU AI Act Art. 50): every conversation starts by saying it is an AI.

`start_conversation` is called as the API calls it, on the desk's real graph with a real
checkpointer and records; tests/test_api.py sees the same through HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from desk.agents.graph import build_graph
from desk.agents.replies import DISCLOSURE
from desk.agents.state import DeskContext
from desk.api.routes.conversations import start_conversation
from desk.auth import Principal
from desk.records.sqlite import SqliteRecords
from tests.support.fakes import DELIVERY, Decision, ScriptedGateway, ScriptedStore
from tests.support.fakes import scripted_services as scripted

QUESTION = "How long does a new card take to arrive?"
ROUTES = {QUESTION: Decision("knowledge", "order_physical_card")}


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Any]:
    records = SqliteRecords(tmp_path / "desk.sqlite")
    await records.setup()
    gateway = ScriptedGateway({"answer": "Cards arrive within 5 working days [1]."})
    graph = build_graph(
        scripted(gateway, ScriptedStore([DELIVERY]), records, ROUTES), InMemorySaver()
    )
    yield SimpleNamespace(records=records, graph=graph, gateway=gateway)
    await records.close()


async def test_a_new_conversation_opens_with_the_disclosure(desk: Any) -> None:
    created = await start_conversation(desk, Principal("harbor", "cus_alice"))

    assert created.ai_disclosure == DISCLOSURE and "AI system" in DISCLOSURE
    config = {"configurable": {"thread_id": created.id}}
    snapshot = await desk.graph.aget_state(config)
    [message] = snapshot.values["messages"]
    assert (message.type, message.content) == ("ai", DISCLOSURE)
    assert message.response_metadata == {"route": "disclosure"}
    assert snapshot.next == ()  # nothing pending: the first turn starts from the top

    state = await desk.graph.ainvoke(
        {"messages": [HumanMessage(QUESTION)]},
        config,
        context=DeskContext(tenant="harbor", conversation_id=created.id, customer_id="cus_alice"),
    )
    assert state["route"] == "knowledge" and state["citations"]
    assert state["messages"][0].content == DISCLOSURE
    assert [m.type for m in state["messages"]] == ["ai", "human", "ai"]
