"""The knowledge agent: retrieve from the help centre, answer with citations, or say it can't.

Answers stream as they are generated, through a citation gate: the customer reads text
only once a citation to a retrieved source vouches for it (ADR 0005). An answer that
cites nothing, or breaks before any vouched-for text, is replaced unseen by the
gateway's extractive responder, which quotes the retrieved sentences with citations.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from desk.agents import prompts, replies
from desk.agents.events import emit, emit_text
from desk.agents.failures import AnswerInterrupted
from desk.agents.grounding import CitationGate, check_citations
from desk.agents.privacy import carries_personal_data
from desk.agents.services import AgentServices
from desk.agents.state import AnsweredBy, Citation, DeskContext, DeskState, Source
from desk.agents.transcript import (
    earlier_turns,
    last_customer_message,
    previous_customer_message,
)
from gateway.stream_events import StreamCompleted, StreamFailed, TextDelta

EXTRACTIVE_GROUP = "answer-extractive"
INTENT_BOOST = 0.05  # An article that lists the routed intent wins close calls.
HISTORY_TURNS = 2


def rank(hits: list[Any], intent: str | None, limit: int) -> list[Source]:
    def boosted(hit: Any) -> float:
        return float(hit.score) + (INTENT_BOOST if intent and intent in hit.chunk.intents else 0.0)

    ranked = sorted(hits, key=boosted, reverse=True)[:limit]
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


def make_retrieve(services: AgentServices):  # type: ignore[no-untyped-def]
    settings = services.settings

    async def search(tenant: str, query: str, intent: str | None) -> list[Source]:
        vector = (await services.embedder.embed([query]))[0]
        hits = await services.store.search(tenant, vector, limit=settings.retrieval_top_k * 2)
        return rank(hits, intent, settings.retrieval_top_k)

    async def retrieve(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        tenant = runtime.context.tenant
        question = last_customer_message(state["messages"])
        intent = state.get("intent")
        sources = await search(tenant, question, intent)
        best = sources[0]["score"] if sources else 0.0
        used_history = False
        previous = previous_customer_message(state["messages"])
        if best < settings.retrieval_min_score and previous:
            # A follow-up ("how long does that take?") only makes sense with what came before.
            retry = await search(tenant, f"{previous}\n{question}", intent)
            if retry and retry[0]["score"] > best:
                sources, best, used_history = retry, retry[0]["score"], True
        covered = best >= settings.retrieval_min_score
        emit("retrieval", {"sources": len(sources), "best_score": best, "covered": covered})
        return {
            "sources": sources if covered else [],
            "covered": covered,
            "retrieval_used_history": used_history,
        }

    return retrieve


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


def make_answer(services: AgentServices):  # type: ignore[no-untyped-def]
    settings = services.settings

    async def answer(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        sources = state.get("sources", [])
        question = last_customer_message(state["messages"])
        messages = prompts.answer_messages(
            question, sources, earlier_turns(state["messages"], HISTORY_TURNS)
        )
        private = runtime.context.private or carries_personal_data(
            [question, *(text for role, text in earlier_turns(state["messages"], HISTORY_TURNS))]
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
    sources instead); a failure after it raises AnswerInterrupted. After the gate breaks
    the stream is still read to its end, unseen, so the call's usage is recorded exactly.
    """
    gate = CitationGate(source_count)
    result = Streamed()
    # aclosing: leaving the loop early must close the provider's stream here, in this task.
    # Left to the garbage collector, its HTTP stream would be closed from another task,
    # and anyio's cancel scopes inside httpx then cancel whatever task runs at the time.
    async with aclosing(gateway.stream("answer", messages, **kwargs)) as events:
        return await _read(events, gate, result)


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
        "answer": replies.NOT_COVERED,
        "offered_handoff": True,
        "messages": [
            AIMessage(
                content=replies.NOT_COVERED,
                response_metadata={"route": "knowledge", "covered": False},
            )
        ],
    }
