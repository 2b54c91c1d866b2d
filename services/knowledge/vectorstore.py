"""The knowledge base's vector store: Qdrant, embedded on disk or a server, one tenant at a time.

Embedded (qdrant-client local mode) under `settings.qdrant_path` unless `QDRANT_URL` is set.
Every read that returns content is filtered by tenant inside this class; callers cannot pass
their own filter, so one tenant's articles can never be returned to another's customers.

Each chunk has two vectors: `dense` (the embedding) and `lexical` (BM25 term weights, with
Qdrant applying IDF; `knowledge.sparse`). A search given the question's text runs both and
fuses their rankings (reciprocal rank fusion, ADR 0017); every hit keeps its dense cosine
as its score, so thresholds read the same whether or not the lexical side found it.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import warnings
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path

import numpy as np
from qdrant_client import AsyncQdrantClient, models
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from knowledge import sparse
from knowledge.chunks import Chunk, Hit
from knowledge.embedder import Vectors
from knowledge.fusion import fuse
from knowledge.snapshot import Indexed, Snapshot
from supportdesk.config import Settings

# Scroll page size: large enough to read a few thousand chunks in a handful of requests.
_PAGE = 1_000
_META_NAMESPACE = uuid.UUID("0b4b7a8e-5d54-4b8e-8f0c-7f3e2b1c9d60")
DENSE = "dense"
LEXICAL = "lexical"
# Bumped when the collection's vectors change shape, so an older store is rebuilt by the next
# ingest instead of being written with vectors it has no room for.
SCHEMA = "hybrid"
# Each side of a hybrid search returns this many times the hits asked for, before fusion.
CANDIDATES_PER_HIT = 4
ENTITY_FIELD = "metadata.entity"


class VectorStoreError(Exception):
    """The vector store cannot be used; the message says what to do about it."""


class VectorStoreLocked(VectorStoreError):
    """Another process holds the embedded store (local mode allows one process per folder)."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The embedded vector store at {path} is in use by another process, most likely a "
            "running desk (`supportdesk serve` or `supportdesk demo`). Stop it and try again, "
            "or run a Qdrant server and set QDRANT_URL so that the desk and the ingest job can "
            "share it."
        )


class VectorStoreUnavailable(VectorStoreError):
    """The Qdrant server did not answer, or refused the request."""


def collection_name(base: str, embedder_name: str, dimension: int) -> str:
    """One collection per embedding model, so changing the model never mixes vector spaces."""
    model = re.sub(r"[^a-z0-9]+", "-", embedder_name.lower()).strip("-")
    return f"{base}-{model}-{dimension}-{SCHEMA}"


async def open_vector_store(settings: Settings, embedder_name: str, dimension: int) -> VectorStore:
    """Open the store the settings point at, with its collections created: ready to use.

    Raises `VectorStoreLocked` when another process holds the embedded store, and
    `VectorStoreUnavailable` when the server cannot be reached or refuses the API key.
    """
    name = collection_name(settings.qdrant_collection, embedder_name, dimension)
    if settings.qdrant_url is not None:
        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = AsyncQdrantClient(url=settings.qdrant_url, api_key=api_key)
    else:
        # Local mode reads the whole store into memory when it opens, so it opens on a worker
        # thread and the event loop stays free. Its SQLite connection is then used from the
        # loop's thread, one call at a time, which is why the same-thread check is lifted.
        try:
            client = await asyncio.to_thread(
                AsyncQdrantClient,
                path=str(settings.qdrant_path),
                force_disable_check_same_thread=True,
            )
        except RuntimeError as exc:
            if "already accessed by another instance" in str(exc):
                raise VectorStoreLocked(settings.qdrant_path) from exc
            raise
    store = VectorStore(client, name, dimension, embedded=settings.qdrant_url is None)
    try:
        await store.ensure_collection()
    except BaseException:
        await store.close()
        raise
    return store


def _tenant_filter(tenant: str, *conditions: models.Condition) -> models.Filter:
    if not tenant:
        raise ValueError("a tenant is required: every read of the store is scoped to one tenant")
    tenant_match = models.FieldCondition(key="tenant", match=models.MatchValue(value=tenant))
    return models.Filter(must=[tenant_match, *conditions])


def _entities_match(entities: Sequence[str]) -> models.FieldCondition:
    return models.FieldCondition(key=ENTITY_FIELD, match=models.MatchAny(any=list(entities)))


def _doc_ids_match(doc_ids: Iterable[str]) -> models.FieldCondition:
    return models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(doc_ids)))


class VectorStore:
    """Chunks of every tenant in one collection, and each tenant's KB version beside it.

    In local mode qdrant-client runs in-process and its `async` methods do their (small)
    work on the calling thread; with a server every call is a network request.
    """

    def __init__(
        self, client: AsyncQdrantClient, name: str, dimension: int, *, embedded: bool = False
    ) -> None:
        self._client = client
        self.name = name
        self.dimension = dimension
        self._meta = f"{name}-meta"
        # Embedded: searches are served from per-tenant snapshots (knowledge.snapshot),
        # dropped on every write this store makes, the only writer its lock allows.
        self._embedded = embedded
        self._snapshots: dict[str, Snapshot] = {}
        self._snapshot_lock = asyncio.Lock()

    async def ensure_collection(self) -> None:
        """Create the chunk and KB-version collections if they do not exist yet."""
        try:
            if not await self._client.collection_exists(self.name):
                await self._create(
                    self.name,
                    {
                        DENSE: models.VectorParams(
                            size=self.dimension, distance=models.Distance.COSINE
                        )
                    },
                    {LEXICAL: models.SparseVectorParams(modifier=models.Modifier.IDF)},
                )
                # Local mode ignores keyword indexes (and warns that it does); a server uses
                # them to keep tenant-, document- and entity-filtered queries fast.
                with warnings.catch_warnings():
                    warnings.filterwarnings("ignore", message="Payload indexes have no effect")
                    for field in ("tenant", "doc_id", ENTITY_FIELD):
                        await self._client.create_payload_index(
                            self.name, field, field_schema=models.PayloadSchemaType.KEYWORD
                        )
            if not await self._client.collection_exists(self._meta):
                await self._create(
                    self._meta, models.VectorParams(size=1, distance=models.Distance.COSINE)
                )
        except ResponseHandlingException as exc:
            raise VectorStoreUnavailable(
                f"cannot reach Qdrant ({exc.source}): is QDRANT_URL right and the server up?"
            ) from exc
        except UnexpectedResponse as exc:
            if exc.status_code in (401, 403):
                raise VectorStoreUnavailable(
                    f"Qdrant refused the request ({exc.status_code}): check QDRANT_API_KEY"
                ) from exc
            raise

    async def _create(
        self,
        name: str,
        vectors: models.VectorParams | dict[str, models.VectorParams],
        sparse_vectors: dict[str, models.SparseVectorParams] | None = None,
    ) -> None:
        try:
            await self._client.create_collection(
                name, vectors_config=vectors, sparse_vectors_config=sparse_vectors
            )
        except UnexpectedResponse as exc:
            # Another process (the desk, a second ingest) created it between our check and now.
            if exc.status_code != 409:
                raise

    async def upsert(self, chunks: Sequence[Chunk], vectors: Vectors) -> None:
        """Write chunks with their vectors (row i belongs to chunk i), replacing same-id points."""
        if vectors.shape != (len(chunks), self.dimension):
            raise ValueError(
                f"expected vectors of shape ({len(chunks)}, {self.dimension}), got {vectors.shape}"
            )
        if not chunks:
            return
        points = [
            models.PointStruct(
                id=chunk.point_id,
                vector={
                    DENSE: row.tolist(),
                    LEXICAL: _sparse(sparse.document_vector(chunk.embedding_text())),
                },
                payload=chunk.model_dump(),
            )
            for chunk, row in zip(chunks, vectors, strict=True)
        ]
        self._snapshots.clear()
        await self._client.upsert(self.name, points=points)

    async def delete_documents(self, tenant: str, doc_ids: Iterable[str]) -> int:
        """Delete every chunk of these documents; returns how many chunks were deleted."""
        doc_ids = list(doc_ids)
        if not doc_ids:
            return 0
        return await self._delete_matching(_tenant_filter(tenant, _doc_ids_match(doc_ids)))

    async def delete_outdated_chunks(self, tenant: str, doc_id: str, content_hash: str) -> int:
        """Delete a document's chunks written for any other version of its content.

        Called after the new chunks are upserted, so the document is never missing; returns
        how many chunks were deleted.
        """
        outdated = _tenant_filter(tenant, _doc_ids_match([doc_id]))
        outdated.must_not = [
            models.FieldCondition(key="content_hash", match=models.MatchValue(value=content_hash))
        ]
        return await self._delete_matching(outdated)

    async def _delete_matching(self, selector: models.Filter) -> int:
        # Collect ids first and delete by id: the count is exact and nothing written after
        # the scroll (by a concurrent writer) is deleted by mistake.
        ids = [record.id async for record in self._scroll(selector, payload=False)]
        self._snapshots.clear()
        if ids:
            await self._client.delete(self.name, points_selector=models.PointIdsList(points=ids))
        return len(ids)

    async def document_hashes(self, tenant: str) -> dict[str, tuple[str, str]]:
        """Every stored document of the tenant: doc_id -> (content_hash, source).

        A document whose chunks disagree (an update interrupted between writing the new chunks
        and deleting the old ones) is reported with an empty hash, so the next sync rewrites it.
        """
        found: dict[str, tuple[str, str]] = {}
        fields = ["doc_id", "content_hash", "source"]
        async for record in self._scroll(_tenant_filter(tenant), payload=fields):
            payload = record.payload or {}
            doc_id, stored = payload["doc_id"], (payload["content_hash"], payload["source"])
            if found.setdefault(doc_id, stored) != stored:
                found[doc_id] = ("", stored[1])
        return found

    async def _scroll(
        self, selector: models.Filter, payload: bool | list[str], vectors: bool = False
    ) -> AsyncIterator[models.Record]:
        offset: models.ExtendedPointId | None = None
        while True:
            records, offset = await self._client.scroll(
                self.name,
                scroll_filter=selector,
                limit=_PAGE,
                offset=offset,
                with_payload=payload,
                with_vectors=vectors,
            )
            for record in records:
                yield record
            if offset is None:
                return

    async def search(
        self,
        tenant: str,
        vector: Sequence[float] | np.ndarray,
        limit: int,
        score_threshold: float | None = None,
        *,
        text: str | None = None,
        entities: Sequence[str] = (),
    ) -> list[Hit]:
        """The tenant's chunks that best match, best first; never another tenant's.

        With `text`, a hybrid search: the dense and the lexical rankings are fused; without
        it, dense only. `entities`: only chunks about these (their `metadata.entity`).
        `score_threshold` applies to the dense cosine, which is every hit's `score`.
        """
        query = np.asarray(vector, dtype=np.float32)
        selector = _tenant_filter(tenant, *([_entities_match(entities)] if entities else []))
        if self._embedded:
            snapshot = await self._snapshot(tenant)
            return snapshot.search(
                query,
                limit,
                candidates=limit * CANDIDATES_PER_HIT,
                score_threshold=score_threshold,
                text=text,
                entities=entities,
            )
        if text is None or not sparse.terms(text):
            return await self._dense(query, selector, limit, score_threshold)
        candidates = limit * CANDIDATES_PER_HIT
        dense_points, lexical_points = await self._client.query_batch_points(
            self.name,
            requests=[
                models.QueryRequest(
                    query=query.tolist(),
                    using=DENSE,
                    filter=selector,
                    limit=candidates,
                    with_payload=True,
                ),
                models.QueryRequest(
                    query=_sparse(sparse.query_vector(text)),
                    using=LEXICAL,
                    filter=selector,
                    limit=candidates,
                    with_payload=True,
                    with_vector=[DENSE],
                ),
            ],
        )
        cosine = {point.id: point.score for point in dense_points.points}
        for point in lexical_points.points:
            if point.id not in cosine:
                # Found by its words alone: its cosine comes from the vector returned with it.
                cosine[point.id] = float(np.dot(_dense_of(point), query))
        fused = fuse([[p.id for p in dense_points.points], [p.id for p in lexical_points.points]])
        payloads = {p.id: p.payload for p in [*dense_points.points, *lexical_points.points]}
        hits = [
            Hit(chunk=Chunk.model_validate(payloads[point_id]), score=cosine[point_id], fused=value)
            for point_id, value in fused
            if score_threshold is None or cosine[point_id] >= score_threshold
        ]
        return hits[:limit]

    async def _snapshot(self, tenant: str) -> Snapshot:
        async with self._snapshot_lock:
            snapshot = self._snapshots.get(tenant)
            if snapshot is None:
                rows = [
                    _indexed(record)
                    async for record in self._scroll(_tenant_filter(tenant), True, vectors=True)
                ]
                snapshot = await asyncio.to_thread(Snapshot, rows, self.dimension)
                self._snapshots[tenant] = snapshot
            return snapshot

    async def _dense(
        self,
        query: np.ndarray,
        selector: models.Filter,
        limit: int,
        score_threshold: float | None,
    ) -> list[Hit]:
        response = await self._client.query_points(
            self.name,
            query=query.tolist(),
            using=DENSE,
            query_filter=selector,
            limit=limit,
            score_threshold=score_threshold,
            with_payload=True,
        )
        fused = dict(fuse([[point.id for point in response.points]]))
        return [
            Hit(chunk=Chunk.model_validate(point.payload), score=point.score, fused=fused[point.id])
            for point in response.points
        ]

    async def entities(self, tenant: str) -> list[tuple[str, str, str]]:
        """(entity, entity type, chunk text) for every chunk of the tenant that names one.

        The type is the chunk's `metadata.domain` ("hotel", "restaurant"), "" without one.
        """
        found: list[tuple[str, str, str]] = []
        fields = ["metadata", "text"]
        async for record in self._scroll(_tenant_filter(tenant), payload=fields):
            payload = record.payload or {}
            metadata = payload.get("metadata") or {}
            entity = metadata.get("entity")
            if isinstance(entity, str) and entity.strip():
                kind = metadata.get("domain")
                found.append((entity, kind if isinstance(kind, str) else "", payload["text"]))
        return found

    async def count(self, tenant: str) -> int:
        """How many chunks the tenant has."""
        result = await self._client.count(self.name, count_filter=_tenant_filter(tenant))
        return result.count

    async def kb_version(self, tenant: str) -> str | None:
        """The tenant's KB version, or None before its first ingest."""
        records = await self._client.retrieve(self._meta, ids=[_meta_id(tenant)])
        if not records or records[0].payload is None:
            return None
        version: str = records[0].payload["kb_version"]
        return version

    async def set_kb_version(self, tenant: str, version: str) -> None:
        point = models.PointStruct(
            id=_meta_id(tenant), vector=[1.0], payload={"tenant": tenant, "kb_version": version}
        )
        await self._client.upsert(self._meta, points=[point])

    async def ping(self) -> bool:
        """Whether the store answers (for readiness probes); never raises."""
        try:
            await self._client.collection_exists(self.name)
        except Exception:  # whatever the cause, a store that cannot answer is not ready
            return False
        return True

    async def close(self) -> None:
        """Release the client (and, in local mode, the lock on the storage folder)."""
        await self._client.close()


def _indexed(record: models.Record) -> Indexed:
    vectors = record.vector
    if not isinstance(vectors, dict):
        raise VectorStoreError(f"point {record.id} has no named vectors: re-run the ingest")
    lexical = vectors.get(LEXICAL)
    return Indexed(
        chunk=Chunk.model_validate(record.payload),
        dense=vectors[DENSE],  # type: ignore[arg-type]
        lexical=sparse.SparseVector(
            indices=list(lexical.indices) if isinstance(lexical, models.SparseVector) else [],
            values=list(lexical.values) if isinstance(lexical, models.SparseVector) else [],
        ),
    )


def _sparse(vector: sparse.SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=vector.indices, values=vector.values)


def _dense_of(point: models.ScoredPoint) -> np.ndarray:
    vectors = point.vector
    if not isinstance(vectors, dict) or DENSE not in vectors:
        raise VectorStoreError(f"point {point.id} came back without its dense vector")
    return np.asarray(vectors[DENSE], dtype=np.float32)


def _meta_id(tenant: str) -> str:
    if not tenant:
        raise ValueError("a tenant is required")
    return str(uuid.uuid5(_META_NAMESPACE, json.dumps(["kb_version", tenant])))
