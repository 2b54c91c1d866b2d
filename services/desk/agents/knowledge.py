"""The knowledge agent: retrieve from the help centre, answer with citations, or say it can't.

Answers stream as they are generated, through a citation gate: the customer reads text
only once a citation to a retrieved source vouches for it (ADR 0005). An answer that
cites nothing, or breaks before any vouched-for text, is replaced unseen by the
gateway's extractive responder, which quotes the retrieved sentences with citations.

Retrieved chunks are data, never instructions (ADR 0015): sentences planted in them to
steer the assistant are cut out before any prompt sees them, and each chunk that had
some is recorded as a guardrail event.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from desk.agents import prompts, replies
from desk.agents.escalation import note_unresolved
from desk.agents.events import emit, emit_text
from desk.agents.failures import AnswerInterrupted
from desk.agents.grounding import CitationGate, check_citations
from desk.agents.guard import record
from desk.agents.privacy import keeps_self_hosted, personal_data_in
from desk.agents.services import AgentServices
from desk.agents.state import AnsweredBy, Citation, DeskContext, DeskState, Source
from desk.agents.transcript import earlier_turns, last_customer_message
from desk.audit import note_guardrail
from gateway.errors import ModelGroupUnavailable
from gateway.stream_events import StreamCompleted, StreamFailed, TextDelta
from guardrails import Finding, IndirectGuard
from guardrails.retrieved import neutralise_hits
from knowledge.chunks import Hit
from knowledge.retriever import Retrieval, Retriever
from telemetry import names, set_attributes, span
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

EXTRACTIVE_GROUP = "answer-extractive"
HISTORY_TURNS = 2
# Turns of the conversation retrieval reads for the entity it is about (knowledge.entities).
RETRIEVAL_HISTORY_MESSAGES = 24


def numbered(ranked: Sequence[Any]) -> list[Source]:
    return [
        Source(
            n=i,
            doc_id=hit.chunk.doc_id,
            title=hit.chunk.title,
            section=hit.chunk.section,
            anchor=hit.chunk.anchor,
            text=hit.chunk.text,
            score=round(float(hit.score), 4),
        )
        for i, hit in enumerate(ranked, start=1)
    ]


async def neutralise(
    guard: IndirectGuard, hits: list[Any]
) -> tuple[list[Any], list[tuple[Any, Finding]]]:
    """The hits without planted instructions; the rules alone when embeddings are down."""
    try:
        return await neutralise_hits(guard, hits)
    except ModelGroupUnavailable as exc:
        log.warning("indirect guard cannot embed retrieved chunks, rules alone decide: %s", exc)
        return await neutralise_hits(guard, hits, rules_only=True)


def make_retrieve(services: AgentServices):  # type: ignore[no-untyped-def]
    settings = services.settings
    retriever = Retriever(services.store, services.embedder, min_score=settings.retrieval_min_score)

    async def retrieve(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        tenant = runtime.context.tenant
        question = last_customer_message(state["messages"])
        history = earlier_turns(state["messages"], RETRIEVAL_HISTORY_MESSAGES // 2)
        found = await traced_retrieval(
            retriever, tenant, question, history, settings.retrieval_top_k, state.get("intent")
        )
        hits = found.hits
        flagged: dict[str, list[Finding]] = {}
        if services.indirect_guard is not None:
            hits, found_in = await neutralise(services.indirect_guard, hits)
            for hit, finding in found_in:
                chunk = chunk_ref(hit)
                flagged.setdefault(chunk, []).append(finding)
        sources = numbered(hits)
        best = max((source["score"] for source in sources), default=0.0)
        covered = best >= settings.retrieval_min_score
        set_attributes(
            {names.RETRIEVAL_COVERED: covered, "desk.retrieval.neutralised": len(flagged)}
        )
        for chunk, planted in flagged.items():
            instruments().guardrail_blocks.add(1, {names.GUARDRAIL: "indirect_injection"})
            await record_neutralised(services, runtime.context, chunk, planted)
        emit(
            "retrieval",
            {
                "sources": len(sources),
                "best_score": best,
                "covered": covered,
                "neutralised": len(flagged),
                "entities": list(found.entities),
            },
        )
        return {
            "sources": sources if covered else [],
            "covered": covered,
            "retrieval_used_history": found.used_history,
        }

    return retrieve


def chunk_ref(hit: Hit) -> str:
    """How a chunk is named in spans and guardrail records: `doc_id#index`, never its text."""
    return f"{hit.chunk.doc_id}#{hit.chunk.chunk_index}"


async def traced_retrieval(
    retriever: Retriever,
    tenant: str,
    question: str,
    history: Sequence[tuple[str, str]],
    limit: int,
    intent: str | None,
) -> Retrieval:
    """The retrieval in its own span: the chunks' ids and scores, never their text."""
    with span("retrieval", {names.TENANT: tenant, names.RETRIEVAL_K: limit}) as traced:
        found = await retriever.retrieve(tenant, question, history, limit=limit, intent=intent)
        set_attributes(
            {
                names.RETRIEVAL_SCORES: [round(hit.score, 4) for hit in found.hits],
                names.DATA_SOURCE_ID: [chunk_ref(hit) for hit in found.hits],
                names.RETRIEVAL_ENTITIES: len(found.entities),
                names.RETRIEVAL_USED_HISTORY: found.used_history,
            },
            traced,
        )
    return found


async def record_neutralised(
    services: AgentServices, context: DeskContext, chunk: str, findings: list[Finding]
) -> None:
    """One event per chunk: its id and the rules that fired, never the planted text."""
    strongest = max(findings, key=lambda f: f.score)
    note_guardrail("indirect_injection", "neutralised", strongest.score)
    log.warning("cut %d planted sentence(s) from %s: %s", len(findings), chunk, strongest.reason)
    await record(
        services,
        context,
        kind="indirect",
        family=strongest.family,
        score=strongest.score,
        action="neutralised",
        detail=f"{chunk}: " + "; ".join(f.reason for f in findings),
    )


def citations_for(sources: list[Source], cited: tuple[int, ...]) -> list[Citation]:
    by_n = {source["n"]: source for source in sources}
    return [
        Citation(
            n=n,
            doc_id=by_n[n]["doc_id"],
            title=by_n[n]["title"],
            section=by_n[n]["section"],
            anchor=by_n[n]["anchor"],
        )
        for n in cited
    ]


def grounding_outcome(grounded: bool, streamed: Streamed, replaced: str | None) -> str:
    """For the audit: the generated answer was replaced unseen by the sources' own words,
    cut at an invented citation, or shown whole (grounded or not)."""
    if replaced is not None:
        return f"replaced:{replaced}"
    if streamed.truncated:
        return "truncated"
    return "grounded" if grounded else "not_grounded"


def make_answer(services: AgentServices):  # type: ignore[no-untyped-def]
    settings = services.settings

    async def answer(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        sources = state.get("sources", [])
        question = last_customer_message(state["messages"])
        messages = prompts.answer_messages(
            question, sources, earlier_turns(state["messages"], HISTORY_TURNS)
        )
        private = keeps_self_hosted(runtime.context)
        personal_data = personal_data_in(
            [question, *(text for _, text in earlier_turns(state["messages"], HISTORY_TURNS))]
        )
        # Retrieval judged these sources relevant, so the extractive tier may quote source 1
        # even when the question shares few words with it.
        metadata = {
            "question": question,
            "sources": [dict(s) for s in sources],
            "sources_vouched": True,
        }
        streamed = await stream_grounded(
            services.gateway,
            messages,
            len(sources),
            max_tokens=settings.answer_max_tokens,
            metadata=metadata,
            deadline=runtime.context.deadline,
            private=private,
        )
        completion, text, replaced = streamed.completion, streamed.shown, None
        if not text:
            # Nothing reached the customer: an ungrounded answer, or a stream that broke
            # before its first vouched-for text, is replaced unseen by the sources' own words.
            replaced = streamed.problem or "ungrounded"
            completion = await services.gateway.complete(
                EXTRACTIVE_GROUP, messages, metadata=metadata, private=True
            )
            text = completion.text.strip()
            emit_text(text)
        grounding = check_citations(text, len(sources))
        note_guardrail("grounding", grounding_outcome(grounding.grounded, streamed, replaced))
        degraded = "busy" if completion.saturated else None
        if degraded:
            # Said after the quoted answer, outside what the citation check read.
            emit_text("\n\n" + replies.BUSY_NOTE)
            emit("degraded", {"reason": degraded, "skipped": list(completion.saturated)})
            text = f"{text}\n\n{replies.BUSY_NOTE}"
        citations = citations_for(sources, grounding.cited)
        answered_by = AnsweredBy(
            group=completion.model_group,
            deployment=completion.deployment,
            tier=completion.tier,
            model=completion.model,
        )
        emit("citations", {"citations": citations})
        return {
            "answer": text,
            "citations": citations,
            # An answer cut at an invented citation is grounded as far as it goes, but it is
            # not the whole answer, so it is never cached.
            "grounded": grounding.grounded and not streamed.truncated,
            "degraded": degraded,
            "answered_by": answered_by,
            "private": private,
            "messages": [
                AIMessage(
                    content=text,
                    response_metadata={
                        "route": "knowledge",
                        "citations": citations,
                        "answered_by": answered_by,
                        "replaced_ungrounded": replaced is not None,
                        "replaced_because": replaced,
                        "truncated_at_unknown_citation": streamed.truncated,
                        "degraded": degraded,
                        # Masked in any request that went to a managed model (ADR 0015).
                        "personal_data": personal_data,
                    },
                )
            ],
        }

    return answer


@dataclass
class Streamed:
    """What one grounded stream showed the customer, and how it ended."""

    shown: str = ""
    completion: Any = None
    truncated: bool = False  # stopped at a citation to a source it was not given
    problem: str | None = None  # why nothing was shown, when nothing was


async def stream_grounded(
    gateway: Any, messages: list[dict[str, str]], source_count: int, **kwargs: Any
) -> Streamed:
    """Streams the `answer` group to the customer through a CitationGate.

    A failure before any text was released is invisible (the caller answers from the
    sources instead), and so is a chain that cannot be called at all (every model down,
    or the turn's tokens spent); a failure after text raises AnswerInterrupted. After the
    gate breaks the stream is still read to its end, unseen, so the call's usage is
    recorded exactly.
    """
    gate = CitationGate(source_count)
    result = Streamed()
    try:
        # aclosing: leaving the loop early closes the provider's HTTP stream here, in this
        # task, rather than whenever the garbage collector finalises the generator.
        async with aclosing(gateway.stream("answer", messages, **kwargs)) as events:
            return await _read(events, gate, result)
    except ModelGroupUnavailable as exc:
        # Raised before the first event only: once text flows a failure is a StreamFailed.
        result.problem = f"unavailable: {exc}"
        return result


async def _read(events: AsyncIterator[Any], gate: CitationGate, result: Streamed) -> Streamed:
    async for event in events:
        if isinstance(event, TextDelta):
            emit_text(gate.feed(event.text))
        elif isinstance(event, StreamCompleted):
            result.completion = event.completion
            emit_text(gate.finish())
        elif isinstance(event, StreamFailed):
            if gate.released.strip():
                raise AnswerInterrupted(
                    f"{event.deployment} failed mid-answer: {event.reason}",
                    retryable=event.retryable,
                    shown=gate.released,
                )
            result.problem = f"stream_failed: {event.reason}"
            return result
    result.shown = gate.released.strip()
    result.truncated = gate.broken and bool(result.shown)
    if not result.shown:
        result.problem = "ungrounded"
    return result


async def not_covered(state: DeskState) -> dict[str, Any]:
    emit_text(replies.NOT_COVERED)
    return {
        # A second message about this need goes to a person (desk.agents.escalation).
        **note_unresolved(state),
        "answer": replies.NOT_COVERED,
        "offered_handoff": True,
        "messages": [
            AIMessage(
                content=replies.NOT_COVERED,
                response_metadata={"route": "knowledge", "covered": False},
            )
        ],
    }
