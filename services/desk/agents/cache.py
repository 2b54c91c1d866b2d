"""The semantic cache around the knowledge agent: look up before retrieval, store after.

A hit answers without retrieval or a model call and streams exactly like a fresh answer,
marked as cached with its similarity. What may be cached is decided by one rule,
`semantic_cache.is_cacheable`; lookups and stores are bounded and never fail a turn.
"""

from __future__ import annotations

import logging
from typing import Any

from langchain_core.messages import AIMessage
from langgraph.runtime import Runtime

from accounting import current_meter
from desk.agents.events import emit, emit_text
from desk.agents.services import AgentServices
from desk.agents.state import AnsweredBy, DeskContext, DeskState
from desk.agents.transcript import last_customer_message
from semantic_cache import is_cacheable
from semantic_cache.policy import CacheDecision
from telemetry import names, set_attributes
from telemetry.instruments import instruments

log = logging.getLogger(__name__)

CACHE_GROUP = "cache"
CACHE_DEPLOYMENT = "semantic-cache"


def _had_history(state: DeskState) -> bool:
    return sum(1 for m in state["messages"] if m.type == "human") > 1


def observed(marker: dict[str, Any]) -> dict[str, Any]:
    """The lookup's result on the node's span and in the lookups counter; the marker back."""
    status = str(marker["status"])
    set_attributes(
        {
            names.CACHE_HIT: status == "hit",
            "desk.cache.status": status,
            names.CACHE_SIMILARITY: marker.get("similarity"),
        }
    )
    instruments().cache_lookups.add(1, {"desk.cache.status": status})
    return marker


def make_cache_lookup(services: AgentServices):  # type: ignore[no-untyped-def]
    async def cache_lookup(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        cache = services.cache
        question = last_customer_message(state["messages"])
        intent = state.get("intent")
        eligible = is_cacheable(
            question,
            route="knowledge",
            intent=intent,
            had_history=_had_history(state),
            grounded=True,
            covered=True,
        )
        if cache is None or intent is None or not eligible.cacheable:
            return {"cache": observed({"status": "skipped", "reason": eligible.reason})}
        tenant = runtime.context.tenant
        kb_version = await services.store.kb_version(tenant)
        if kb_version is None:
            return {"cache": observed({"status": "skipped", "reason": "nothing ingested"})}
        vector = (await services.embedder.embed([question]))[0]
        lookup = await cache.find(
            tenant, kb_version, question, vector, intent, confidence=state.get("intent_share")
        )
        if lookup.hit is None:
            emit("cache", {"status": lookup.status})
            return {"cache": observed({"status": lookup.status})}

        hit = lookup.hit
        meter = current_meter()
        if meter is not None:
            meter.record_cache_hit(float(hit.metadata.get("cost_usd", 0.0)))
        original = hit.metadata.get("answered_by") or {}
        answered_by = AnsweredBy(
            group=CACHE_GROUP,
            deployment=CACHE_DEPLOYMENT,
            tier="cache",
            model=str(original.get("model", "")),
        )
        marker = {
            "status": "hit",
            "similarity": round(hit.similarity, 4),
            "exact": hit.exact,
            "cached_question": hit.cached_question,
        }
        emit("cache", observed(marker))
        emit_text(hit.answer)
        emit("citations", {"citations": hit.citations})
        return {
            "cache": marker,
            "answer": hit.answer,
            "citations": hit.citations,
            "grounded": True,
            "covered": True,
            "answered_by": answered_by,
            "messages": [
                AIMessage(
                    content=hit.answer,
                    response_metadata={
                        "route": "knowledge",
                        "citations": hit.citations,
                        "answered_by": answered_by,
                        "cache": marker,
                    },
                )
            ],
        }

    return cache_lookup


def make_cache_store(services: AgentServices):  # type: ignore[no-untyped-def]
    async def cache_store(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        cache = services.cache
        question = last_customer_message(state["messages"])
        intent = state.get("intent")
        decision = is_cacheable(
            question,
            route=state.get("route", ""),
            intent=intent,
            had_history=_had_history(state),
            grounded=bool(state.get("grounded")),
            covered=bool(state.get("covered")),
            retrieval_used_history=bool(state.get("retrieval_used_history")),
        )
        if state.get("degraded"):
            # A quotation made because the desk was busy is not the answer to keep.
            decision = CacheDecision(False, f"answer degraded ({state.get('degraded')})")
        set_attributes(
            {"desk.cache.storable": decision.cacheable, "desk.cache.why": decision.reason}
        )
        if cache is None or intent is None or not decision.cacheable:
            return {}
        tenant = runtime.context.tenant
        kb_version = await services.store.kb_version(tenant)
        if kb_version is None:
            return {}
        meter = current_meter()
        cost = sum(c.cost_usd for c in meter.calls if c.group.startswith("answer")) if meter else 0
        vector = (await services.embedder.embed([question]))[0]
        stored = await cache.store(
            tenant,
            kb_version,
            question,
            vector,
            intent,
            state.get("answer", ""),
            [dict(c) for c in state.get("citations", [])],
            {"answered_by": dict(state.get("answered_by", {})), "cost_usd": cost},
            confidence=state.get("intent_share"),
        )
        set_attributes({"desk.cache.stored": bool(stored)})
        if stored:
            log.debug("cached the answer to %r for tenant %s", question, tenant)
        return {}

    return cache_store


def route_after_cache(state: DeskState) -> str:
    return "end" if state.get("cache", {}).get("status") == "hit" else "retrieve"
