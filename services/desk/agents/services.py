"""The outside systems the agents use, built once at start-up and closed over by the graph.

Each is an interface with an embedded default and a production backend behind it, so
the agents never know whether Qdrant is local or a server, or which model answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounting import MeteredGateway
    from bank import Bank
    from desk.records import Records
    from desk.triage import SemanticRouter
    from guardrails import IndirectGuard, InjectionGuard
    from knowledge.embedder import Embedder
    from knowledge.vectorstore import VectorStore
    from semantic_cache import SemanticCache
    from supportdesk.config import Settings


@dataclass(frozen=True)
class AgentServices:
    settings: Settings
    gateway: MeteredGateway
    embedder: Embedder
    store: VectorStore
    router: SemanticRouter
    records: Records
    # Harbor Bank's systems of record; every call takes the customer from the context.
    bank: Bank | None = None
    cache: SemanticCache | None = None
    # Guardrails (ADR 0015): customer messages checked before triage, retrieved chunks
    # cleared of planted instructions before they reach a prompt. None: not checked.
    injection_guard: InjectionGuard | None = None
    indirect_guard: IndirectGuard | None = None
