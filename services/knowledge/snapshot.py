"""One tenant's chunks held in memory for embedded search: the same hybrid ranking as a Qdrant
server's, computed with numpy.

Embedded Qdrant (qdrant-client's local mode) evaluates payload filters in Python point by
point: with the tenant filter every search must carry, a 4,300-chunk corpus took 130 ms a
query on this machine, against 2 ms here. Local mode allows one process per store, so the
process that writes is the only one that reads: the store drops a tenant's snapshot on every
write it makes, and the next search rebuilds it from Qdrant. A server keeps doing its own
filtered search; `tests/test_vectorstore.py` holds both to the same rankings (ADR 0017).

Lexical scores are BM25 as Qdrant computes them with `Modifier.IDF`, with the statistics
taken over the tenant's chunks rather than the whole collection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse as scipy_sparse

from knowledge import sparse
from knowledge.chunks import Chunk, Hit
from knowledge.fusion import fuse


@dataclass(frozen=True)
class Indexed:
    """A stored chunk as the snapshot reads it back: payload, dense vector, lexical weights."""

    chunk: Chunk
    dense: Sequence[float]
    lexical: sparse.SparseVector


class Snapshot:
    def __init__(self, rows: Sequence[Indexed], dimension: int) -> None:
        self.chunks = [row.chunk for row in rows]
        self._dense = np.asarray(
            [row.dense for row in rows] or np.zeros((0, dimension)), dtype=np.float32
        ).reshape(len(rows), dimension)
        norms = np.linalg.norm(self._dense, axis=1, keepdims=True)
        self._dense /= np.where(norms == 0, 1.0, norms)
        self._entities = np.asarray(
            [str(row.chunk.metadata.get("entity", "")) for row in rows], dtype=object
        )
        columns: dict[int, int] = {}
        data: list[float] = []
        indices: list[int] = []
        indptr = [0]
        for row in rows:
            for term, weight in zip(row.lexical.indices, row.lexical.values, strict=True):
                indices.append(columns.setdefault(term, len(columns)))
                data.append(weight)
            indptr.append(len(indices))
        self._columns = columns
        self._lexical = scipy_sparse.csr_matrix(
            (data, indices, indptr), shape=(len(rows), len(columns)), dtype=np.float32
        ).tocsc()
        containing = np.diff(self._lexical.indptr)  # chunks per term (CSC column lengths)
        total = len(rows)
        self._idf = np.log1p((total - containing + 0.5) / (containing + 0.5)).astype(np.float32)

    def __len__(self) -> int:
        return len(self.chunks)

    def search(
        self,
        vector: npt.NDArray[np.float32],
        limit: int,
        *,
        candidates: int,
        score_threshold: float | None = None,
        text: str | None = None,
        entities: Sequence[str] = (),
    ) -> list[Hit]:
        if not self.chunks:
            return []
        query = vector / (np.linalg.norm(vector) or 1.0)
        cosine = self._dense @ query
        allowed = np.isin(self._entities, list(entities)) if entities else None
        dense_rank = _top(cosine, allowed, candidates if text else limit)
        rankings = [dense_rank]
        if text is not None and sparse.terms(text):
            lexical = self._bm25(text)
            matched = lexical > 0
            rankings.append(
                _top(lexical, matched if allowed is None else matched & allowed, candidates)
            )
        order = fuse(rankings)
        hits = [
            Hit(chunk=self.chunks[i], score=float(cosine[i]), fused=value)
            for i, value in order
            if score_threshold is None or cosine[i] >= score_threshold
        ]
        return hits[:limit]

    def _bm25(self, text: str) -> npt.NDArray[np.float32]:
        query = sparse.query_vector(text)
        columns = [self._columns[i] for i in query.indices if i in self._columns]
        if not columns:
            return np.zeros(len(self.chunks), dtype=np.float32)
        weights = self._lexical[:, columns] @ self._idf[columns]
        return np.asarray(weights, dtype=np.float32).ravel()


def _top(
    scores: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_] | None, count: int
) -> list[int]:
    """Indices of the `count` best scores among the allowed ones, best first; ties by index."""
    candidates = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
    if candidates.size == 0 or count <= 0:
        return []
    values = scores[candidates]
    order = np.lexsort((candidates, -values))[: min(count, candidates.size)]
    return [int(candidates[i]) for i in order]
