"""The example embeddings as one matrix, with the linear head fitted on them, cached on disk
so a restart neither embeds nor fits again.

Embedding eight thousand examples takes about a minute on two cores, and fitting the head
seconds. The cache file is named after the embedder, a hash of the example files and the
head's version, so a new model, an edited example or a new head misses it and is rebuilt;
older files of the same embedder are then removed. The key is the embedder's name, not its
weights: serving another model under the same name needs the cache directory emptied.
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
from desk.triage.linear import VERSION as HEAD_VERSION
from desk.triage.linear import LinearHead, fit_linear
from desk.triage.routes import Route, route_for
from knowledge.embedder import Embedder, Vectors

log = logging.getLogger(__name__)

# Remote embedding APIs cap the inputs of one request (OpenAI: 2,048); stay well below.
EMBED_BATCH: Final = 256


class ExampleIndex:
    """One L2-normalised row per example, with the example's intent and route, and the
    linear head fitted on them (None for a single intent)."""

    def __init__(
        self, vectors: Vectors, intents: Sequence[str], head: LinearHead | None = None
    ) -> None:
        if vectors.ndim != 2 or vectors.shape[0] != len(intents) or not intents:
            raise ValueError(f"{vectors.shape} vectors for {len(intents)} intents")
        if head is not None and not set(head.labels) <= set(intents):
            raise ValueError("the linear head knows intents the examples do not")
        self.vectors = vectors
        self.intents = tuple(intents)
        self.head = head
        routes = np.array([route_for(intent).value for intent in self.intents])
        self.rows_by_route: dict[Route, npt.NDArray[np.intp]] = {
            route: np.flatnonzero(routes == route.value)
            for route in Route
            if (routes == route.value).any()
        }

    def __len__(self) -> int:
        return len(self.intents)


async def load_index(examples: ExampleSet, embedder: Embedder, cache_dir: Path) -> ExampleIndex:
    """The examples' index from the cache under `cache_dir`, embedding and fitting on a miss."""
    path = cache_path(cache_dir, examples, embedder.name)
    intents = [example.intent for example in examples.examples]
    cached = await asyncio.to_thread(_read, path, intents, embedder.dimension)
    if cached is not None:
        return cached
    log.info("embedding %d router examples with %s (once)", len(intents), embedder.name)
    vectors = await embed_batched(embedder, [example.query for example in examples.examples])
    head = await asyncio.to_thread(fit_linear, vectors, intents)
    index = ExampleIndex(vectors, intents, head)
    await asyncio.to_thread(_write, path, index)
    return index


def cache_path(cache_dir: Path, examples: ExampleSet, embedder_name: str) -> Path:
    key = hashlib.sha256(
        f"{embedder_name}\0{examples.fingerprint}\0{HEAD_VERSION}".encode()
    ).hexdigest()[:16]
    return cache_dir / f"{_slug(embedder_name)}-{key}.npz"


def _slug(embedder_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", embedder_name).strip("-").lower()


async def embed_batched(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    batches = [
        await embedder.embed(texts[start : start + EMBED_BATCH])
        for start in range(0, len(texts), EMBED_BATCH)
    ]
    return np.ascontiguousarray(np.concatenate(batches), dtype=np.float32)


def _read(path: Path, intents: Sequence[str], dimension: int) -> ExampleIndex | None:
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            vectors = np.asarray(archive["vectors"], dtype=np.float32)
            labels = tuple(str(label) for label in archive["head_labels"])
            head = (
                LinearHead(
                    labels,
                    np.asarray(archive["head_weights"], dtype=np.float32),
                    np.asarray(archive["head_bias"], dtype=np.float32),
                )
                if labels
                else None
            )
    except Exception as exc:  # A damaged cache costs one rebuild, never a failed start.
        log.warning("ignoring unreadable router cache %s: %s", path, exc)
        return None
    shapes_agree = vectors.shape == (len(intents), dimension) and (
        head is None
        or (
            head.weights.shape == (dimension, len(head.labels))
            and head.bias.shape == (len(head.labels),)
        )
    )
    arrays = (vectors,) if head is None else (vectors, head.weights, head.bias)
    if not shapes_agree or not all(np.isfinite(array).all() for array in arrays):
        log.warning("ignoring router cache %s: shape %s", path, vectors.shape)
        return None
    try:
        return ExampleIndex(vectors, intents, head)
    except ValueError as exc:
        log.warning("ignoring router cache %s: %s", path, exc)
        return None


def _write(path: Path, index: ExampleIndex) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a second worker starting at the same moment never reads half a file.
        handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            head = index.head
            with os.fdopen(handle, "wb") as file:
                np.savez(
                    file,
                    vectors=index.vectors,
                    head_labels=np.array(head.labels if head else (), dtype=str),
                    head_weights=head.weights if head else np.zeros((0, 0), np.float32),
                    head_bias=head.bias if head else np.zeros(0, np.float32),
                )
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
