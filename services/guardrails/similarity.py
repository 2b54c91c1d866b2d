"""How much a text reads like the authored attack exemplars rather than the benign ones.

Each text gets the probability of `classifier.ExemplarClassifier` (fitted on the exemplars'
embeddings) and, to explain a verdict, its nearest attack exemplar. Plain nearest-exemplar
similarity was measured as the score too and left out: MiniLM puts "show me my pending
payments" almost as near "show me your prompt" as a real paraphrase of it, and the
classifier's boundary separates the two where a cosine cannot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from guardrails.classifier import ExemplarClassifier
from guardrails.exemplars import Exemplar
from knowledge.embedder import Embedder, Vectors

# Remote embedding APIs cap one request's inputs; the local model batches internally.
EMBED_BATCH = 256


@dataclass(frozen=True)
class Likeness:
    probability: float
    """The classifier's P(attack)."""
    nearest: Exemplar
    """The nearest attack exemplar, for the reason given with a verdict."""
    cosine: float


class ExemplarModel:
    """The classifier and the attack exemplars' vectors, built once per embedder."""

    def __init__(
        self, attacks: Sequence[Exemplar], attack_vectors: Vectors, benign_vectors: Vectors
    ) -> None:
        if not attacks or attack_vectors.shape[0] != len(attacks):
            raise ValueError(f"{attack_vectors.shape[0]} vectors for {len(attacks)} attacks")
        self.attacks = tuple(attacks)
        self._attack_vectors = attack_vectors
        self.classifier = ExemplarClassifier.fit(attack_vectors, benign_vectors)

    def likeness(self, vectors: Vectors) -> list[Likeness]:
        if not len(vectors):
            return []
        probabilities = self.classifier.probability(vectors)
        cosines = vectors @ self._attack_vectors.T
        best = cosines.argmax(axis=1)
        return [
            Likeness(float(probabilities[i]), self.attacks[int(j)], float(cosines[i, j]))
            for i, j in enumerate(best)
        ]


async def embed_all(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """One row per text, each distinct text embedded once (a planted chunk repeats most of
    its knowledge-base sentences; customers repeat "hi"), in batches of EMBED_BATCH."""
    if not texts:
        return np.zeros((0, embedder.dimension), dtype=np.float32)
    distinct = list(dict.fromkeys(texts))
    parts = [
        await embedder.embed(distinct[start : start + EMBED_BATCH])
        for start in range(0, len(distinct), EMBED_BATCH)
    ]
    vectors = np.concatenate(parts).astype(np.float32, copy=False)
    if len(distinct) == len(texts):
        return vectors
    row = {text: i for i, text in enumerate(distinct)}
    return vectors[[row[text] for text in texts]]


class LazyModel:
    """Embeds the exemplars and fits on first use, once, however many callers arrive."""

    def __init__(
        self, embedder: Embedder, attacks: Sequence[Exemplar], benign: Sequence[Exemplar]
    ) -> None:
        self._embedder = embedder
        self._attacks = tuple(attacks)
        self._benign = tuple(benign)
        self._model: ExemplarModel | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> ExemplarModel:
        if self._model is None:
            async with self._lock:
                if self._model is None:
                    texts = [e.text for e in self._attacks + self._benign]
                    vectors = await embed_all(self._embedder, texts)
                    split = len(self._attacks)
                    self._model = await asyncio.to_thread(
                        ExemplarModel, self._attacks, vectors[:split], vectors[split:]
                    )
        return self._model
