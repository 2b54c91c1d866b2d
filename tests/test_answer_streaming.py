"""The knowledge agent streams its answer live, through a citation gate (ADR 0005).

The customer reads text only once a citation to a retrieved source vouches for it; a
failure before that is invisible, a failure after it ends the turn with AnswerInterrupted.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from desk.agents.failures import AnswerInterrupted
from desk.agents.graph import build_graph
from desk.agents.grounding import CitationGate
from desk.agents.state import DeskContext
from desk.records.sqlite import SqliteRecords
from gateway.stream_events import StreamCompleted, TextDelta
from tests.support.fakes import (
    DELIVERY,
    FEES,
    Completion,
    ScriptedGateway,
    ScriptedStore,
    scripted_services,
)

GROUNDED = "Cards arrive within 5 working days [1]. Fees are listed in the app [2]."
EXTRACTIVE = "Cards arrive within 5 working days [1]."


async def run(graph: Any, text: str = "Where is my card?") -> tuple[list[str], dict[str, Any]]:
    """The turn's token texts and its final state."""
    tokens: list[str] = []
    final: dict[str, Any] = {}
    async for part in graph.astream(
        {"messages": [HumanMessage(text)]},
        {"configurable": {"thread_id": "c1"}},
        context=DeskContext(tenant="harbor", conversation_id="c1"),
        stream_mode=["custom", "values"],
        version="v2",
    ):
        if part["type"] == "custom" and part["data"]["event"] == "token":
            tokens.append(part["data"]["data"]["text"])
        elif part["type"] == "values":
            final = part["data"]
    return tokens, final


def feed_all(gate: CitationGate, pieces: list[str]) -> list[str]:
    return [gate.feed(piece) for piece in pieces]


def test_the_gate_holds_text_until_a_citation_vouches_for_it() -> None:
    gate = CitationGate(2)
    released = feed_all(gate, ["Cards arrive ", "within 5 days ", "[", "1]", ". Fees ", "apply."])
    assert released == ["", "", "", "Cards arrive within 5 days [1]", "", ""]
    assert gate.finish() == ". Fees apply."
    assert gate.released == "Cards arrive within 5 days [1]. Fees apply."


def test_the_gate_releases_nothing_of_an_answer_that_never_cites() -> None:
    gate = CitationGate(2)
    assert feed_all(gate, ["Cards arrive ", "in 5 days."]) == ["", ""]
    assert gate.finish() == "" and gate.released == ""


def test_an_invented_citation_breaks_the_gate_after_the_vouched_part() -> None:
    gate = CitationGate(2)
    pieces = ["Cards arrive in 5 days [1]", ". Fees are 9 EUR [7]", ". See [2]."]
    assert feed_all(gate, pieces) == ["Cards arrive in 5 days [1]", "", ""]
    assert gate.broken
    assert gate.finish() == "."
    assert gate.released == "Cards arrive in 5 days [1]."


def test_one_bracket_with_a_valid_and_an_invented_source_breaks_the_gate() -> None:
    gate = CitationGate(2)
    assert gate.feed("Fees apply [1, 3].") == ""
    assert gate.broken and gate.finish() == ""


async def test_a_grounded_answer_streams_as_generated(records: SqliteRecords) -> None:
    gateway = ScriptedGateway({"answer": GROUNDED})
    graph = build_graph(
        scripted_services(gateway, ScriptedStore([DELIVERY, FEES]), records), InMemorySaver()
    )
    tokens, state = await run(graph)
    assert "".join(tokens) == GROUNDED == state["answer"]
    assert state["grounded"] and state["answered_by"]["group"] == "answer"
    assert [group for group, _ in gateway.calls] == ["answer"]


async def test_the_first_vouched_sentence_is_shown_before_generation_ends(
    records: SqliteRecords,
) -> None:
    """The stream pauses after the first cited sentence until the test has seen it."""
    seen_first_sentence = asyncio.Event()

    class Pausing(ScriptedGateway):
        async def stream(self, group: str, messages: Any, **kwargs: Any) -> Any:
            yield TextDelta("Cards arrive within 5 working days [1].")
            await asyncio.wait_for(seen_first_sentence.wait(), timeout=30)
            yield TextDelta(" Fees are listed in the app [2].")
            yield StreamCompleted(Completion(GROUNDED, group))  # type: ignore[arg-type]

    graph = build_graph(
        scripted_services(Pausing({}), ScriptedStore([DELIVERY, FEES]), records), InMemorySaver()
    )
    shown: list[str] = []
    async for part in graph.astream(
        {"messages": [HumanMessage("Where is my card?")]},
        {"configurable": {"thread_id": "c1"}},
        context=DeskContext(tenant="harbor", conversation_id="c1"),
        stream_mode="custom",
    ):
        if part["event"] == "token":
            shown.append(part["data"]["text"])
            if "".join(shown) == "Cards arrive within 5 working days [1]":
                seen_first_sentence.set()
    assert seen_first_sentence.is_set()
    assert "".join(shown) == GROUNDED


@pytest.mark.parametrize("fails_after", [0, 3], ids=["before-first-word", "before-citation"])
async def test_a_stream_broken_before_anything_was_shown_is_answered_unseen(
    records: SqliteRecords, fails_after: int
) -> None:
    gateway = ScriptedGateway(
        {"answer": GROUNDED, "answer-extractive": EXTRACTIVE},
        stream_fails_after={"answer": fails_after},
    )
    graph = build_graph(
        scripted_services(gateway, ScriptedStore([DELIVERY]), records), InMemorySaver()
    )
    tokens, state = await run(graph)
    assert "".join(tokens) == EXTRACTIVE == state["answer"]
    assert state["answered_by"]["group"] == "answer-extractive"
    assert state["messages"][-1].response_metadata["replaced_because"].startswith("stream_failed")


async def test_a_stream_broken_after_text_was_shown_interrupts_the_turn(
    records: SqliteRecords,
) -> None:
    gateway = ScriptedGateway(
        {"answer": GROUNDED, "answer-extractive": EXTRACTIVE},
        stream_fails_after={"answer": 7},  # after "[1]. ", inside the second sentence
    )
    graph = build_graph(
        scripted_services(gateway, ScriptedStore([DELIVERY, FEES]), records), InMemorySaver()
    )
    shown: list[str] = []
    with pytest.raises(AnswerInterrupted) as interrupted:
        async for part in graph.astream(
            {"messages": [HumanMessage("Where is my card?")]},
            {"configurable": {"thread_id": "c1"}},
            context=DeskContext(tenant="harbor", conversation_id="c1"),
            stream_mode="custom",
        ):
            if part["event"] == "token":
                shown.append(part["data"]["text"])
    assert interrupted.value.retryable
    assert (
        "".join(shown)
        == interrupted.value.shown.strip()
        == "Cards arrive within 5 working days [1]"
    )
    # No second answer was appended to the part already shown.
    assert [group for group, _ in gateway.calls] == ["answer"]


async def test_an_answer_cut_at_an_invented_citation_is_kept_but_never_cached(
    records: SqliteRecords,
) -> None:
    gateway = ScriptedGateway({"answer": "Cards arrive in 5 working days [1]. Fees are 9 EUR [7]."})
    graph = build_graph(
        scripted_services(gateway, ScriptedStore([DELIVERY, FEES]), records), InMemorySaver()
    )
    tokens, state = await run(graph)
    assert "".join(tokens) == state["answer"] == "Cards arrive in 5 working days [1]."
    assert state["messages"][-1].response_metadata["truncated_at_unknown_citation"] is True
    assert state["grounded"] is False  # what the cache requires, so it is not stored
