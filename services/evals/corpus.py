"""The knowledge base an eval runs against: ingested fresh into an isolated store and tenant.

With `--documents FILE` that corpus is ingested; without it, the bundled help centre
(`KB_PATH`). Either way the desk's own data is never touched: the embedded stores live in a
temporary folder (which also avoids the lock a running desk holds on embedded Qdrant), and a
Qdrant server gets a tenant of its own whose points are deleted afterwards. Ingestion is the
desk's own, with the same chunking and the same guard against planted instructions.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from pathlib import Path

from evals.queries import Query
from guardrails import IndirectGuard
from ingest.pipeline import ingest
from ingest.report import IngestReport
from ingest.sources import read_sources
from knowledge.embedder import Embedder
from knowledge.vectorstore import open_vector_store
from supportdesk.config import Settings


class CorpusError(ValueError):
    """The corpus could not be ingested; the message says why."""


@dataclass(frozen=True)
class Corpus:
    settings: Settings
    """The desk's settings pointed at the isolated store."""
    tenant: str
    report: IngestReport
    bundled: bool
    intent_docs: dict[str, frozenset[str]] = field(default_factory=dict)
    """For the bundled help centre: intent -> ids of the articles listing it."""

    def relevant(self, query: Query) -> Collection[str]:
        """The ids that answer `query`: its `relevant_ids`, else (bundled help centre only)
        the articles listing its intent."""
        if query.relevant_ids:
            return frozenset(query.relevant_ids)
        if self.bundled and query.intent:
            return self.intent_docs.get(query.intent, frozenset())
        return frozenset()


@contextlib.asynccontextmanager
async def isolated_corpus(
    settings: Settings, embedder: Embedder, documents: Path | None
) -> AsyncIterator[Corpus]:
    paths = [documents] if documents is not None else [settings.kb_path]
    if documents is not None and not await asyncio.to_thread(documents.is_file):
        raise CorpusError(f"{documents}: no such file")
    tenant = f"eval-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="eval-") as folder:
        # Every embedded store (vector store, records, checkpoints) goes to the temporary
        # folder; production backends (QDRANT_URL) stay and get the fresh tenant instead.
        isolated = settings.model_copy(update={"data_dir": Path(folder)})
        store = await open_vector_store(isolated, embedder.name, embedder.dimension)
        try:
            report = await ingest(
                paths,
                tenant=tenant,
                store=store,
                embedder=embedder,
                progress=False,
                guard=IndirectGuard(embedder),
            )
        finally:
            await store.close()
        if not report.documents:
            problems = "; ".join(str(error) for error in report.errors[:3])
            raise CorpusError(f"nothing could be ingested from {paths[0]}: {problems}")
        intents = await asyncio.to_thread(_intent_docs, paths) if documents is None else {}
        try:
            yield Corpus(isolated, tenant, report, documents is None, intents)
        finally:
            if isolated.qdrant_url is not None:
                await _forget(isolated, embedder, tenant)


def _intent_docs(paths: list[Path]) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for document in read_sources(paths).documents:
        for intent in document.intents:
            found.setdefault(intent, set()).add(document.doc_id)
    return {intent: frozenset(ids) for intent, ids in found.items()}


async def _forget(settings: Settings, embedder: Embedder, tenant: str) -> None:
    store = await open_vector_store(settings, embedder.name, embedder.dimension)
    try:
        await store.delete_documents(tenant, (await store.document_hashes(tenant)).keys())
    finally:
        await store.close()
