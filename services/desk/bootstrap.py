"""The one place that wires real adapters to the desk.

Everything external is chosen here from settings (Qdrant local or server, SQLite or
Postgres, which model deployments exist), so nothing below knows or cares.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from langgraph.graph.state import CompiledStateGraph

from accounting import Budget, BudgetPolicy, MeteredGateway, Pricing
from bank import Bank, open_bank
from bank.traced import traced
from desk.agents.graph import build_graph
from desk.agents.services import AgentServices
from desk.agents.state import DeskContext, DeskState, InputState
from desk.checkpointer import open_checkpointer
from desk.records import Records, open_records
from desk.triage import SemanticRouter, build_router
from gateway import Gateway, ModelGroupUnavailable, build_gateway
from guardrails import IndirectGuard, InjectionGuard
from knowledge.embedder import RecentEmbeddings
from knowledge.vectorstore import VectorStore, open_vector_store
from semantic_cache import CacheSettings, SemanticCache, open_semantic_cache
from supportdesk.config import Settings
from supportdesk.cpu import single_threaded_blas
from telemetry import configure_telemetry
from telemetry.trace_log import trace_log

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Desk:
    settings: Settings
    gateway: Gateway
    store: VectorStore
    router: SemanticRouter
    records: Records
    bank: Bank
    graph: CompiledStateGraph[DeskState, DeskContext, InputState, DeskState]
    budgets: BudgetPolicy
    cache: SemanticCache | None


def cache_settings(settings: Settings) -> CacheSettings:
    return CacheSettings(
        redis_url=settings.redis_url,
        ttl_s=settings.semantic_cache_ttl_s,
        threshold=settings.semantic_cache_threshold,
        min_confidence=settings.semantic_cache_min_confidence,
        tenant_thresholds=settings.semantic_cache_tenant_thresholds,
        op_timeout_ms=settings.semantic_cache_op_timeout_ms,
        breaker_failures=settings.semantic_cache_breaker_failures,
        breaker_reset_s=settings.semantic_cache_breaker_reset_s,
    )


def budget_policy(settings: Settings) -> BudgetPolicy:
    return BudgetPolicy(
        Budget(settings.budget_soft_usd, settings.budget_hard_usd),
        {t: Budget(b.soft_usd, b.hard_usd) for t, b in settings.tenant_budgets.items()},
    )


async def open_services(settings: Settings, stack: AsyncExitStack) -> AgentServices:
    """Opens every adapter the agents use; `stack` closes them in reverse order."""
    gateway = build_gateway(settings)
    stack.push_async_callback(gateway.aclose)
    # The agents see a metered gateway: every call is priced into the turn's meter.
    metered = MeteredGateway(
        gateway,
        Pricing(gateway.config.deployments),
        max_tokens_per_turn=settings.max_tokens_per_turn,
        model_free_groups=gateway.config.model_free_groups,
    )
    # A customer message is embedded by several steps of a turn; once is enough.
    embedder = RecentEmbeddings(gateway.embedder)
    store = await open_vector_store(settings, embedder.name, embedder.dimension)
    stack.push_async_callback(store.close)
    router = await build_router(settings, embedder, metered)
    records = await open_records(settings)
    stack.push_async_callback(records.close)
    bank = await open_bank(settings)
    stack.push_async_callback(bank.close)
    cache = (
        open_semantic_cache(cache_settings(settings)) if settings.semantic_cache_enabled else None
    )
    if cache is not None:
        stack.push_async_callback(cache.close)
    injection_guard, indirect_guard = InjectionGuard(embedder), IndirectGuard(embedder)
    await warm_guards(injection_guard, indirect_guard)
    return AgentServices(
        settings=settings,
        gateway=metered,
        embedder=embedder,
        store=store,
        router=router,
        records=records,
        bank=traced(bank),
        cache=cache,
        injection_guard=injection_guard,
        indirect_guard=indirect_guard,
    )


async def warm_guards(injection: InjectionGuard, indirect: IndirectGuard) -> None:
    """Embed the guards' exemplars now rather than in the first customer's turn.

    With the embedding model down the desk still starts: the guards retry on first use,
    and until then a message is checked by the rules alone (desk.agents.guard).
    """
    started = time.perf_counter()
    try:
        await injection.warm()
        await indirect.warm()
    except ModelGroupUnavailable as exc:
        log.warning("guardrails not warmed, they will retry on first use: %s", exc)
        return
    log.info("guardrails warmed in %.1f s", time.perf_counter() - started)


@asynccontextmanager
async def start_desk(settings: Settings) -> AsyncIterator[Desk]:
    single_threaded_blas()
    async with AsyncExitStack() as stack:
        telemetry = configure_telemetry()
        log_of_traces = trace_log(settings.data_dir / "traces")
        telemetry.add_sink(log_of_traces)
        stack.callback(telemetry.remove_sink, log_of_traces)
        services = await open_services(settings, stack)
        gateway: Gateway = services.gateway.inner
        checkpointer = await stack.enter_async_context(open_checkpointer(settings))
        graph = build_graph(services, checkpointer)
        assert services.bank is not None  # open_services always opens it
        log.info(
            "desk ready: vector store %s, records %s, tenant %s",
            "server" if settings.qdrant_url else "embedded",
            services.records.backend,
            settings.tenant,
        )
        yield Desk(
            settings,
            gateway,
            services.store,
            services.router,
            services.records,
            services.bank,
            graph,
            budget_policy(settings),
            services.cache,
        )
