"""The escalation rules: as pure functions, and through the graph with scripted adapters."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from desk.agents.escalation import (
    SENTIMENT_THRESHOLD,
    UNCLASSIFIED,
    escalate,
    note_unresolved,
    sentiment,
)
from desk.agents.graph import build_graph
from desk.agents.handoff import faithful
from desk.agents.state import DeskContext, DeskState
from desk.records.sqlite import SqliteRecords
from desk.triage.examples import EXAMPLES_DIR
from gateway.errors import ModelGroupUnavailable
from tests.support.fakes import (
    DELIVERY,
    Decision,
    ScriptedGateway,
    ScriptedRouter,
    ScriptedStore,
    scripted_services,
)

THRESHOLD = 0.62  # the default router_threshold
SURE = {
    "route": "knowledge",
    "intent": "card_arrival",
    "confidence": 0.9,
    "triage_method": "semantic",
}


def unsure(method: str = "model", confidence: float = 0.5) -> dict[str, Any]:
    return {**SURE, "confidence": confidence, "triage_method": method}


def state(**fields: Any) -> DeskState:
    return DeskState(messages=[], **fields)  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    "furious",
    [
        "This is absolutely ridiculous, you useless bank stole my money and I am furious!",
        "I hate this bank. Terrible, awful, disgusting service.",
        "What the hell is wrong with you people?! This is a disgrace!",
        "Stop wasting my time, your answers are useless and I'm sick of this",
    ],
)
def test_furious_messages_hand_off(furious: str) -> None:
    routed = escalate(state(), furious, SURE, THRESHOLD)
    assert routed["route"] == "handoff"
    assert routed["handoff_reason"].startswith("strongly negative sentiment")


@pytest.mark.parametrize(
    "ordinary",
    [
        "my card was declined",
        "Why does my transfer keep failing?",
        "I think someone stole my card, what do I do?",
        "I'm a bit annoyed that the top-up hasn't arrived yet",
    ],
)
def test_ordinary_complaints_do_not(ordinary: str) -> None:
    assert sentiment(ordinary) > SENTIMENT_THRESHOLD
    routed = escalate(state(), ordinary, SURE, THRESHOLD)
    assert routed["route"] == "knowledge" and "handoff_reason" not in routed


def test_few_banking_questions_score_as_furious() -> None:
    """The router's shipped BANKING77 examples: under 0.5% would be handed off."""
    lines = (EXAMPLES_DIR / "banking77.jsonl").read_text().splitlines()
    queries = [json.loads(line)["query"] for line in lines if line.strip()]
    furious = [q for q in queries if sentiment(q) <= SENTIMENT_THRESHOLD]
    assert len(queries) > 2000
    assert len(furious) / len(queries) < 0.005, furious


def test_triage_unsure_twice_in_a_row_hands_off() -> None:
    first = escalate(state(), "hmm", unsure("model"), THRESHOLD)
    assert first["route"] == "knowledge" and first["unsure_streak"] == 1
    second = escalate(state(unsure_streak=1), "hmm", unsure("semantic", 0.5), THRESHOLD)
    assert second["route"] == "handoff"
    assert second["handoff_reason"] == "triage unsure 2 turns in a row"
    assert second["handoff_from"] == "knowledge"  # the route the ticket records
    assert second["unsure_streak"] == 0


def test_a_sure_turn_resets_the_streak_and_a_degraded_one_keeps_it() -> None:
    assert (
        escalate(state(unsure_streak=1), "where is my card", SURE, THRESHOLD)["unsure_streak"] == 0
    )
    degraded = {"route": "unavailable", "intent": None, "confidence": 0.0}
    kept = escalate(state(unsure_streak=1), "hi", {**degraded, "triage_method": "degraded"}, 0.62)
    assert kept["unsure_streak"] == 1 and kept["route"] == "unavailable"
    # A fallback is unsure whatever its confidence: the model was asked and failed.
    assert escalate(state(), "x", unsure("fallback", 0.9), THRESHOLD)["unsure_streak"] == 1


def test_note_unresolved_counts_per_intent() -> None:
    assert note_unresolved(state(intent="card_arrival")) == {"unresolved": {"card_arrival": 1}}
    bumped = note_unresolved(state(intent="card_arrival", unresolved={"card_arrival": 1, "x": 1}))
    assert bumped == {"unresolved": {"card_arrival": 2, "x": 1}}
    assert note_unresolved(state(intent=None)) == {"unresolved": {UNCLASSIFIED: 1}}


def test_the_same_need_failing_again_hands_off() -> None:
    failed = state(
        intent="card_arrival", offered_handoff=True, **note_unresolved(state(intent="card_arrival"))
    )
    again = escalate(failed, "where is my card", SURE, THRESHOLD)
    assert again["route"] == "handoff"
    assert again["handoff_reason"] == "desk could not resolve card_arrival twice"
    assert again["unresolved"] == {}  # the person takes every open need
    other = escalate(failed, "what are your fees", {**SURE, "intent": "card_fees"}, THRESHOLD)
    assert other["route"] == "knowledge" and other["unresolved"] == {"card_arrival": 1}


def test_a_resolved_turn_clears_only_its_own_intent() -> None:
    # The previous turn (card_fees) ended resolved: no person was offered.
    after = state(
        intent="card_fees", offered_handoff=False, unresolved={"card_arrival": 1, "card_fees": 1}
    )
    routed = escalate(after, "ok", {**SURE, "intent": "balance"}, THRESHOLD)
    assert routed["unresolved"] == {"card_arrival": 1}


async def turn(graph: Any, text: str) -> dict[str, Any]:
    result: dict[str, Any] = await graph.ainvoke(
        {"messages": [HumanMessage(text)]},
        {"configurable": {"thread_id": "c1"}},
        context=DeskContext(tenant="harbor", conversation_id="c1"),
    )
    return result


async def test_two_unsure_turns_open_a_ticket(records: SqliteRecords) -> None:
    routes = {
        "hmm": Decision("smalltalk", "greeting", confidence=0.4),
        "what about it": Decision("knowledge", "card_arrival", confidence=0.5, method="model"),
    }
    gateway = ScriptedGateway({"summarize": "Unclear request.", "answer": "Soon [1]."})
    services = scripted_services(gateway, ScriptedStore([DELIVERY]), records, routes)
    graph = build_graph(services, InMemorySaver())
    first = await turn(graph, "hmm")
    assert first["route"] == "smalltalk" and first["unsure_streak"] == 1
    second = await turn(graph, "what about it")
    assert second["route"] == "handoff" and second["ticket"]
    [ticket] = await records.tickets_for("c1", "harbor")
    assert ticket.reason == "triage unsure 2 turns in a row"
    assert [line["text"] for line in ticket.transcript if line["role"] == "customer"] == [
        "hmm",
        "what about it",
    ]


async def test_not_understanding_twice_opens_a_ticket(records: SqliteRecords) -> None:
    class BlindRouter(ScriptedRouter):
        async def classify(self, text: str) -> Decision:
            raise ModelGroupUnavailable("embed", ("embed",), "connection refused")

    services = replace(
        scripted_services(ScriptedGateway({}), ScriptedStore([]), records),
        router=BlindRouter({}),
    )
    graph = build_graph(services, InMemorySaver())
    first = await turn(graph, "Where is my card?")
    assert first["route"] == "unavailable" and first["unresolved"] == {UNCLASSIFIED: 1}
    second = await turn(graph, "My card, where is it?")
    assert second["route"] == "handoff"
    [ticket] = await records.tickets_for("c1", "harbor")
    assert ticket.reason == f"desk could not resolve {UNCLASSIFIED} twice"
    assert ticket.route == "unavailable"  # where the desk was when it gave up


def test_a_summary_that_strays_from_the_conversation_is_not_used() -> None:
    transcript = [("user", "My rent transfer to Sam is still pending"), ("user", "a person please")]
    assert faithful("Customer's rent transfer to Sam is pending; wants a person.", transcript)
    # What SmolLM2 once wrote for exactly this conversation: an invented phone number.
    assert not faithful(
        "I'm sorry for any misunderstanding, please reach out to our customer support team "
        "at 1-800-234-7596.",
        transcript,
    )
    assert not faithful("", transcript)
