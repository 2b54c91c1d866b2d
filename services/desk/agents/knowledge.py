"""The knowledge agent: retrieve from the help centre, answer with citations, or say it can't.

Answers are checked before the customer sees them: an answer that cites nothing, or
cites a source it was not given, is replaced by the gateway's extractive responder,
which quotes the retrieved sentences with their citations.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from desk.agents import prompts, replies
from desk.agents.events import emit, emit_text
from desk.agents.grounding import check_citations
from desk.agents.privacy import carries_personal_data
from desk.agents.services import AgentServices
from desk.agents.state import AnsweredBy, Citation, DeskContext, DeskState, Source
from desk.agents.transcript import (
    earlier_turns,
    last_customer_message,
    previous_customer_message,
)

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
        # Retrieval judged these sources relevant, so the extractive tier may quote source 1
        # even when the question shares few words with it.
        private = runtime.context.private or carries_personal_data(
            [question, *(text for role, text in earlier_turns(state["messages"], HISTORY_TURNS))]
        )
        metadata = {
            "question": question,
            "sources": [dict(s) for s in sources],
            "sources_vouched": True,
        }
        completion = await services.gateway.complete(
            "answer",
            messages,
            max_tokens=settings.answer_max_tokens,
            metadata=metadata,
            deadline=runtime.context.deadline,
            private=private,
        )
        grounding = check_citations(completion.text, len(sources))
        replaced = not grounding.grounded and completion.model_group != EXTRACTIVE_GROUP
        if replaced:
            completion = await services.gateway.complete(
                EXTRACTIVE_GROUP, messages, metadata=metadata, private=True
            )
            grounding = check_citations(completion.text, len(sources))
        text = completion.text.strip()
        citations = citations_for(sources, grounding.cited)
        answered_by = AnsweredBy(
            group=completion.model_group,
            deployment=completion.deployment,
            tier=completion.tier,
            model=completion.model,
        )
        emit_text(text)
        emit("citations", {"citations": citations})
        return {
            "answer": text,
            "citations": citations,
            "grounded": grounding.grounded,
            "answered_by": answered_by,
            "private": private,
            "messages": [
                AIMessage(
                    content=text,
                    response_metadata={
                        "route": "knowledge",
                        "citations": citations,
                        "answered_by": answered_by,
                        "replaced_ungrounded": replaced,
                    },
                )
            ],
        }

    return answer


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
