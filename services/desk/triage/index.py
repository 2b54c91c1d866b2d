"""The example embeddings as one matrix, cached on disk so a restart does not embed them again.

Embedding a few thousand examples takes tens of seconds on a CPU. The cache file is named
after the embedder and a hash of the example files, so a new model or an edited example
misses it and is embedded afresh; older files of the same embedder are then removed. The
key is the embedder's name, not its weights: serving another model under the same name
needs the cache directory emptied.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from desk.triage.examples import ExampleSet
from desk.triage.routes import Route, route_for
from knowledge.embedder import Embedder, Vectors

log = logging.getLogger(__name__)

# Remote embedding APIs cap the inputs of one request (OpenAI: 2,048); stay well below.
EMBED_BATCH: Final = 256


class ExampleIndex:
    """One L2-normalised row per example, with the example's intent and route."""

    def __init__(self, vectors: Vectors, intents: Sequence[str]) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(intents) or not intents:
            raise ValueError(f"{vectors.shape} vectors for {len(intents)} intents")
        self.vectors = vectors
        self.intents = tuple(intents)
        routes = np.array([route_for(intent).value for intent in self.intents])
        self.rows_by_route: dict[Route, npt.NDArray[np.intp]] = {
            route: np.flatnonzero(routes == route.value)
            for route in Route
            if (routes == route.value).any()
        }

    def __len__(self) -> int:
        return len(self.intents)


async def load_index(examples: ExampleSet, embedder: Embedder, cache_dir: Path) -> ExampleIndex:
    """The examples' index from the cache under `cache_dir`, embedding them on a miss."""
    path = cache_path(cache_dir, examples, embedder.name)
    rows = len(examples.examples)
    vectors = await asyncio.to_thread(_read, path, rows, embedder.dimension)
    if vectors is None:
        log.info("embedding %d router examples with %s", rows, embedder.name)
        vectors = await embed_batched(embedder, [example.query for example in examples.examples])
        await asyncio.to_thread(_write, path, vectors)
    return ExampleIndex(vectors, [example.intent for example in examples.examples])


def cache_path(cache_dir: Path, examples: ExampleSet, embedder_name: str) -> Path:
    key = hashlib.sha256(f"{embedder_name}\0{examples.fingerprint}".encode()).hexdigest()[:16]
    return cache_dir / f"{_slug(embedder_name)}-{key}.npz"


def _slug(embedder_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", embedder_name).strip("-").lower()


async def embed_batched(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    batches = [
        await embedder.embed(texts[start : start + EMBED_BATCH])
        for start in range(0, len(texts), EMBED_BATCH)
    ]
    return np.ascontiguousarray(np.concatenate(batches), dtype=np.float32)


def _read(path: Path, rows: int, dimension: int) -> Vectors | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            vectors = np.asarray(archive["vectors"], dtype=np.float32)
    except Exception as exc:  # A damaged cache costs one re-embedding, never a failed start.
        log.warning("ignoring unreadable router cache %s: %s", path, exc)
        return None
    if vectors.shape != (rows, dimension) or not np.isfinite(vectors).all():
        log.warning("ignoring router cache %s: shape %s", path, vectors.shape)
        return None
    return vectors


def _write(path: Path, vectors: Vectors) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a second worker starting at the same moment never reads half a file.
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, vectors=vectors)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:  # A read-only data dir only means embedding again on the next start.
        log.warning("could not cache router examples at %s: %s", path, exc)
        return
    _remove_superseded(path)


def _remove_superseded(path: Path) -> None:
    """Deletes this embedder's caches of earlier example sets; other embedders' stay."""
    slug = path.stem.rsplit("-", 1)[0]
    own = re.compile(re.escape(slug) + r"-[0-9a-f]{16}\.npz")
    for other in path.parent.iterdir():
        if other != path and own.fullmatch(other.name):
            other.unlink(missing_ok=True)
