"""The desk's graph, compiled once at start-up.

    START → guard ─┬─ injection attempt → END (a safe reply, recorded)
                   └─ triage ─┬─ knowledge → cache_lookup ─┬─ hit → END
                              │                            └─ retrieve ─┬─ answer → cache_store
                              │                                         └─ not_covered → END
                              ├─ the customer's own records (desk.agents.dispatch):
                              │    cards | payments | disputes ─┬─ reply → END
                              │                                 ├─ proposal → approval → END
                              │                                 └─ nothing → cache_lookup
                              ├─ handoff      → handoff → END
                              ├─ smalltalk    → smalltalk → END
                              ├─ out_of_scope → out_of_scope → END
                              └─ unavailable  → cannot_understand → END   (embeddings down)

`approval` pauses in a LangGraph interrupt until the customer confirms (desk.approvals).
Routes come from triage's labels; a label the graph does not know goes to knowledge,
so adding a route to the examples never strands a turn.
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from desk.agents.approval import make_approval
from desk.agents.cache import make_cache_lookup, make_cache_store, route_after_cache
from desk.agents.cards import make_cards
from desk.agents.dispatch import SPECIALISTS, specialist_for
from desk.agents.disputes import make_disputes
from desk.agents.guard import make_guard, route_after_guard
from desk.agents.handoff import make_handoff
from desk.agents.knowledge import make_answer, make_retrieve, not_covered
from desk.agents.payments import make_payments
from desk.agents.services import AgentServices
from desk.agents.smalltalk import cannot_understand, out_of_scope, smalltalk
from desk.agents.state import DeskContext, DeskState, InputState
from desk.agents.triage import make_triage
from telemetry import traced_node

ROUTES = {
    "knowledge": "cache_lookup",
    "handoff": "handoff",
    "smalltalk": "smalltalk",
    "out_of_scope": "out_of_scope",
    "unavailable": "cannot_understand",
}


def route_after_triage(state: DeskState) -> str:
    node = ROUTES.get(state.get("route", ""), "cache_lookup")
    if node in ("cache_lookup", "out_of_scope"):
        # An explicit action or a request for someone's records is the bank's business
        # even when the examples read it as out of scope ("cards of customer 2").
        return specialist_for(state) or node
    return node


def route_after_specialist(state: DeskState) -> str:
    return {"approval": "approval", "knowledge": "cache_lookup"}.get(
        state.get("handled", ""), "end"
    )


def route_after_retrieve(state: DeskState) -> str:
    return "answer" if state.get("covered") else "not_covered"


# Nodes after which a turn is over. A state edit made "as" one of them leaves the thread
# with nothing pending, which is how a failed turn is rolled back (desk.turn_failures).
TURN_ENDS = (
    "cache_store",
    "not_covered",
    "handoff",
    "smalltalk",
    "out_of_scope",
    "cannot_understand",
    "approval",
)


def build_graph(
    services: AgentServices, checkpointer: BaseCheckpointSaver[str] | None = None
) -> CompiledStateGraph[DeskState, DeskContext, InputState, DeskState]:
    builder = StateGraph(DeskState, context_schema=DeskContext, input_schema=InputState)
    nodes = {
        "guard": make_guard(services),
        "triage": make_triage(services),
        "cache_lookup": make_cache_lookup(services),
        "retrieve": make_retrieve(services),
        "cache_store": make_cache_store(services),
        "answer": make_answer(services),
        "not_covered": not_covered,
        "handoff": make_handoff(services),
        "smalltalk": smalltalk,
        "out_of_scope": out_of_scope,
        "cannot_understand": cannot_understand,
        "cards": make_cards(services),
        "payments": make_payments(services),
        "disputes": make_disputes(services),
        "approval": make_approval(services),
    }
    for name, node in nodes.items():
        # Each node in its own span, so a turn reads as request → node → model call.
        builder.add_node(name, traced_node(name, node))

    builder.add_edge(START, "guard")
    builder.add_conditional_edges("guard", route_after_guard, {"blocked": END, "triage": "triage"})
    builder.add_conditional_edges(
        "triage", route_after_triage, sorted({*ROUTES.values(), *SPECIALISTS})
    )
    for specialist in SPECIALISTS:
        builder.add_conditional_edges(
            specialist,
            route_after_specialist,
            {"approval": "approval", "cache_lookup": "cache_lookup", "end": END},
        )
    builder.add_conditional_edges(
        "cache_lookup", route_after_cache, {"end": END, "retrieve": "retrieve"}
    )
    builder.add_conditional_edges("retrieve", route_after_retrieve, ["answer", "not_covered"])
    builder.add_edge("answer", "cache_store")
    for node in TURN_ENDS:
        builder.add_edge(node, END)
    return builder.compile(checkpointer=checkpointer, name="harbor-support-desk")
