"""The sync: make a tenant's stored chunks match the documents read from some paths.

Only differences are written. A new document is embedded and upserted; a changed one gets its
new chunks upserted before its outdated chunks are deleted, so it is never missing from search;
an unchanged one is not touched; one that disappeared from a path that was read without errors
is deleted. The tenant's KB version is a hash of all its documents' content hashes, set at the
end of the run and only when it changed.

With an `IndirectGuard`, each chunk is scanned before it is stored: sentences planted to
instruct the assistant are cut out (a chunk left empty is not stored) and the report names
the documents they came from, so whoever publishes an article learns it was poisoned
(ADR 0015). Retrieval scans again, for text that reached the index another way.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from guardrails import IndirectGuard
from ingest.chunking import chunk_document
from ingest.documents import Document
from ingest.fingerprints import content_hash, kb_version_of
from ingest.report import IngestReport, Neutralisation
from ingest.sources import SourceSet, read_sources
from knowledge.chunks import Chunk
from knowledge.embedder import Embedder
from knowledge.vectorstore import VectorStore

EMBED_BATCH = 64
# Below this many documents a run takes seconds and a progress bar is noise.
PROGRESS_MIN_DOCUMENTS = 200


@dataclass(frozen=True)
class _Write:
    document: Document
    content_hash: str
    replaces: bool  # an earlier version is stored and its outdated chunks must go


@dataclass
class _Plan:
    writes: list[_Write] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    hashes_after: dict[str, str] = field(default_factory=dict)


async def ingest(
    paths: Sequence[Path | str],
    *,
    tenant: str,
    store: VectorStore,
    embedder: Embedder,
    progress: bool | None = None,
    guard: IndirectGuard | None = None,
) -> IngestReport:
    """Sync the tenant's knowledge base with the documents under `paths`.

    `store` comes from `open_vector_store` (its collections exist). `progress`: a progress
    bar on stderr; by default only for large runs on a terminal. `guard`: cut planted
    instructions out of chunks before they are stored.
    """
    if not tenant:
        raise ValueError("a tenant is required")
    if embedder.dimension != store.dimension:
        raise ValueError(
            f"embedder {embedder.name} makes {embedder.dimension}-dimensional vectors; "
            f"the store {store.name} holds {store.dimension}"
        )
    sources = await asyncio.to_thread(read_sources, [Path(path) for path in paths])
    stored = await store.document_hashes(tenant)
    before = await store.kb_version(tenant)
    plan = await asyncio.to_thread(_plan, sources, stored)

    # A tenant that never had documents has no version, and a run that adds none gives it none.
    versioned = before is not None or bool(plan.hashes_after)
    after = kb_version_of(plan.hashes_after)
    report = IngestReport(
        tenant=tenant,
        added=sum(not write.replaces for write in plan.writes),
        updated=sum(write.replaces for write in plan.writes),
        deleted=len(plan.removed),
        unchanged=plan.unchanged,
        errors=sources.errors,
        kb_version_before=before,
        kb_version_after=after if versioned else None,
    )

    if progress is None:
        progress = len(sources.documents) > PROGRESS_MIN_DOCUMENTS and sys.stderr.isatty()
    with tqdm(
        total=len(sources.documents),
        initial=plan.unchanged,
        desc=f"ingest {tenant}",
        unit="doc",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        await _write(plan.writes, tenant, after, store, embedder, report, bar, guard)
    if plan.removed:
        report.chunks_deleted += await store.delete_documents(tenant, plan.removed)
    if versioned and after != before:
        await store.set_kb_version(tenant, after)
    return report


def _plan(sources: SourceSet, stored: dict[str, tuple[str, str]]) -> _Plan:
    plan = _Plan()
    for document in sources.documents:
        digest = content_hash(document)
        previous = stored.get(document.doc_id)
        plan.hashes_after[document.doc_id] = digest
        if previous == (digest, document.source):
            plan.unchanged += 1
        else:
            # A new source path alone also rewrites the chunks, so each names the file to edit.
            plan.writes.append(_Write(document, digest, replaces=previous is not None))
    for doc_id, (digest, source) in sorted(stored.items()):
        if doc_id in plan.hashes_after:
            continue
        if doc_id not in sources.held_ids and sources.prunable(source):
            plan.removed.append(doc_id)
        else:
            plan.hashes_after[doc_id] = digest
    return plan


async def _write(
    writes: list[_Write],
    tenant: str,
    version: str,
    store: VectorStore,
    embedder: Embedder,
    report: IngestReport,
    bar: tqdm,
    guard: IndirectGuard | None = None,
) -> None:
    """Embed and upsert in batches; finish each document (outdated chunks) once fully written."""
    per_document = await asyncio.to_thread(_chunks, writes, tenant, version)
    chunks = list(itertools.chain.from_iterable(per_document))
    ends = list(itertools.accumulate(len(document_chunks) for document_chunks in per_document))
    finished = 0
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        if guard is not None:
            batch = await _neutralise(guard, batch, report)
        if batch:
            vectors = await embedder.embed([chunk.embedding_text() for chunk in batch])
            await store.upsert(batch, vectors)
        report.chunks_written += len(batch)
        while finished < len(writes) and ends[finished] <= start + len(batch):
            write = writes[finished]
            if write.replaces:
                report.chunks_deleted += await store.delete_outdated_chunks(
                    tenant, write.document.doc_id, write.content_hash
                )
            bar.update(1)
            finished += 1


async def _neutralise(
    guard: IndirectGuard, batch: list[Chunk], report: IngestReport
) -> list[Chunk]:
    scans = await guard.scan_many(
        [chunk.text for chunk in batch], [f"{chunk.title} › {chunk.section}" for chunk in batch]
    )
    kept = []
    for chunk, scan in zip(batch, scans, strict=True):
        if not scan.flagged:
            kept.append(chunk)
            continue
        report.neutralised.append(
            Neutralisation(
                chunk.doc_id,
                chunk.chunk_index,
                len(scan.findings),
                tuple(dict.fromkeys(f.family for f in scan.findings)),
            )
        )
        if scan.text:
            kept.append(chunk.model_copy(update={"text": scan.text}))
    return kept


def _chunks(writes: list[_Write], tenant: str, version: str) -> list[list[Chunk]]:
    return [
        [
            Chunk(
                tenant=tenant,
                doc_id=write.document.doc_id,
                title=write.document.title,
                section=piece.section,
                anchor=piece.anchor,
                text=piece.text,
                chunk_index=index,
                content_hash=write.content_hash,
                kb_version=version,
                intents=list(write.document.intents),
                source=write.document.source,
                metadata=write.document.metadata,
            )
            for index, piece in enumerate(chunk_document(write.document))
        ]
        for write in writes
    ]
