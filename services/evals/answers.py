"""`supportdesk eval answers`: run whole turns and check what the answers cite.

    supportdesk eval answers --documents ../shared/data/dstc11/documents.jsonl \\
        --queries ../shared/data/dstc11/queries_dev.jsonl --limit 100

A desk is started on the isolated corpus (`evals.corpus`) with the configured gateway, so
the answers come from whichever models are up, down to the extractive responder. Each
query gets a conversation of its own whose earlier turns are its `history`; then the query
is sent as a live message is (guard, triage, retrieval, answer through the citation gate).
The semantic cache is off: every answer is generated, none replayed.

Measured: citation precision (cited documents that are relevant), answers with no
citation, refusals where a relevant document existed, and, where `reference_answer` is
given, unigram F1 against it. Last line: `citation_precision=… uncited_rate=…`.
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from evals.corpus import isolated_corpus
from evals.measures import percentile
from evals.queries import read_queries
from evals.report import Report, latency_plot, markdown_table, share
from supportdesk.config import Settings

if TYPE_CHECKING:
    from desk.bootstrap import Desk
    from evals.queries import Query
    from gateway import Gateway

CUSTOMER = "eval-customer"
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Turn:
    query_id: str
    route: str
    answered: bool
    cited: tuple[str, ...]
    relevant: frozenset[str]
    f1: float | None
    ms: float
    answered_by: str


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=Path, required=True, help="queries.jsonl")
    parser.add_argument(
        "--documents", type=Path, help="documents.jsonl to ingest (default: the help centre)"
    )
    parser.add_argument("--limit", type=int, help="only the first N queries")


async def measure(args: argparse.Namespace, settings: Settings, gateway: Gateway) -> dict[str, Any]:
    from desk.bootstrap import start_desk

    queries = read_queries(args.queries)[: args.limit]
    async with isolated_corpus(settings, gateway.embedder, args.documents) as corpus:
        # The corpus's temporary data_dir holds the desk's records and checkpoints too.
        desk_settings = corpus.settings.model_copy(update={"semantic_cache_enabled": False})
        async with start_desk(desk_settings) as desk:
            turns = [
                await _turn(desk, corpus.tenant, query, frozenset(corpus.relevant(query)))
                for query in queries
            ]
    return figures(turns)


async def _turn(desk: Desk, tenant: str, query: Query, relevant: frozenset[str]) -> Turn:
    from desk.admission import AdmissionController, FixedLimit
    from desk.agents.graph import TURN_ENDS
    from desk.approvals import plan_turn
    from desk.checkpointer import thread
    from desk.turns import TurnGate, admit_turn, run_turn

    conversation = await desk.records.create_conversation(
        uuid.uuid4().hex, tenant, customer_id=CUSTOMER
    )
    if query.history:
        earlier: list[BaseMessage] = [
            HumanMessage(content=text) if role == "user" else AIMessage(content=text)
            for role, text in query.history
        ]
        await desk.graph.aupdate_state(
            thread(conversation.id), {"messages": earlier}, as_node=TURN_ENDS[0]
        )
    started = time.perf_counter()
    admission = await admit_turn(desk, TurnGate(AdmissionController(FixedLimit(1))), conversation)
    plan = await plan_turn(desk.graph, conversation.id, query.query, None)
    text: list[str] = []
    done: dict[str, Any] = {}
    async for event in run_turn(desk, admission, conversation, plan):
        if event.event == "token":
            text.append(event.data["text"])
        elif event.event == "done":
            done = event.data
    answer = "".join(text).strip()
    cited = tuple(dict.fromkeys(c["doc_id"] for c in done.get("citations") or []))
    answered = done.get("route") == "knowledge" and bool(done.get("covered")) and bool(answer)
    by = done.get("answered_by") or {}
    return Turn(
        query_id=query.id,
        route=str(done.get("route")),
        answered=answered,
        cited=cited,
        relevant=relevant,
        f1=unigram_f1(answer, query.reference_answer) if query.reference_answer else None,
        ms=(time.perf_counter() - started) * 1000,
        answered_by=str(by.get("tier") or by.get("deployment") or "none"),
    )


def unigram_f1(answer: str, reference: str) -> float:
    """Word-overlap F1, SQuAD style: a rough lexical check, not a judge of correctness."""
    got, want = Counter(_WORD.findall(answer.lower())), Counter(_WORD.findall(reference.lower()))
    common = sum((got & want).values())
    if not common:
        return 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def figures(turns: list[Turn]) -> dict[str, Any]:
    answered = [t for t in turns if t.answered]
    citations = [(t, doc) for t in answered for doc in t.cited]
    with_relevant = [t for t in turns if t.relevant]
    refused = [t for t in with_relevant if not t.answered]
    scored = [t.f1 for t in turns if t.f1 is not None]
    latencies = [t.ms for t in turns]
    return {
        "queries": len(turns),
        "answered": len(answered),
        "citation_precision": (
            sum(doc in t.relevant for t, doc in citations) / len(citations) if citations else None
        ),
        "uncited_rate": (sum(not t.cited for t in answered) / len(answered) if answered else None),
        "refused_with_relevant_rate": len(refused) / len(with_relevant) if with_relevant else None,
        "reference_f1": sum(scored) / len(scored) if scored else None,
        "routes": dict(Counter(t.route for t in turns)),
        "answered_by": dict(Counter(t.answered_by for t in answered)),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "latencies_ms": latencies,
    }


def report(result: dict[str, Any], command: str) -> Report:
    summary = [
        ("queries", str(result["queries"])),
        ("answered from the knowledge base", str(result["answered"])),
        ("citation precision", share(result["citation_precision"])),
        ("answers with no citation", share(result["uncited_rate"])),
        ("refusals where a relevant document existed", share(result["refused_with_relevant_rate"])),
        ("unigram F1 against reference answers", share(result["reference_f1"])),
        ("turn latency p50 / p95 (ms)", f"{result['p50_ms']:.0f} / {result['p95_ms']:.0f}"),
    ]
    routes = markdown_table(["route", "turns"], sorted(result["routes"].items()))
    tiers = markdown_table(["answered by", "turns"], sorted(result["answered_by"].items()))
    return Report(
        name="answers",
        title="Answer quality",
        command=command,
        summary=summary,
        sections=[("Routes taken", routes), ("Who answered", tiers)],
        plots=[latency_plot("turn latency", result["latencies_ms"], "Answers: whole-turn latency")],
    )


def last_line(result: dict[str, Any]) -> str:
    return (
        f"citation_precision={share(result['citation_precision'])} "
        f"uncited_rate={share(result['uncited_rate'])}"
    )
