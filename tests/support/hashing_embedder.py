"""A deterministic bag-of-words embedder for tests and offline experiments.

Each word is hashed to one signed dimension (feature hashing), so texts sharing words point
the same way. It understands no synonyms, yet it satisfies the same `Embedder` contract as the
real model (shape, dtype, unit length), which `tests/test_ingest.py` checks against both.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from knowledge.embedder import Vectors

_WORD = re.compile(r"\w+")


class HashingEmbedder:
    def __init__(self, dimension: int = 256) -> None:
        self._dimension = dimension

    @property
    def name(self) -> str:
        return f"hashing-bow-{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def _vector(self, text: str) -> Vectors:
        vector = np.zeros(self._dimension, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            digest = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest())
            sign = 1.0 if digest & 1 else -1.0
            vector[(digest >> 1) % self._dimension] += sign
        norm = float(np.linalg.norm(vector))
        if norm == 0.0:
            # A text without words still needs a unit vector: cosine is undefined for zero.
            vector[0] = 1.0
            return vector
        return vector / norm

    async def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        return np.stack([self._vector(text) for text in texts]).astype(np.float32)
