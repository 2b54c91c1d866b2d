"""Is a customer's message an attempt to take over the assistant? Checked on every turn.

Two signals, combined as a noisy-OR (`rules.combine`):

- rules (`injection_rules`): named patterns of the known attack families, matched on every
  `normalise.views` reading of the message (plain, de-leeted, ROT13, reversed, decoded);
- likeness (`similarity`): the message and each of its sentences embedded and scored by a
  logistic regression fitted on authored attack and benign exemplars (`exemplars/`).

A message is flagged at a combined score of `threshold` (0.5): one strong rule, two weak
ones, a weak rule and a moderately attack-like sentence, or a clearly attack-like one. The
desk answers a flagged message with `SAFE_REPLY` and never passes it to a model.
`check_rules` is the synchronous, model-free half for callers that cannot await; `check`
embeds through the `Embedder` protocol, whose `embed` keeps the model off the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from guardrails import normalise, sentences
from guardrails.exemplars import Exemplar, bundled
from guardrails.injection_rules import DIRECT_RULES
from guardrails.rules import Rule, RuleHit, combine, match
from guardrails.similarity import LazyModel, Likeness, embed_all
from knowledge.embedder import Embedder

SAFE_REPLY: Final = (
    "I can only help with your Harbor Bank account and our services, and I can't change how "
    "I work or share my instructions. What can I help you with today?"
)
THRESHOLD: Final = 0.5
# Likeness weight: 0 up to P(attack) = LIKENESS_FLOOR, rising linearly to
# LIKENESS_MAX_WEIGHT at LIKENESS_CEILING; alone it flags from P ≈ 0.79. Chosen on authored
# probes (tests/fixtures/guardrails/) and measured, never fitted, on BANKING77 and CLINC150.
LIKENESS_FLOOR: Final = 0.65
LIKENESS_CEILING: Final = 0.9
LIKENESS_MAX_WEIGHT: Final = 0.9
# A long persona prompt is one sentence after another; the first ones tell enough.
MAX_SEGMENTS: Final = 24
_MARKER: Final = "\x00hidden-payload\x00"


@dataclass(frozen=True)
class Verdict:
    flagged: bool
    score: float
    family: str | None
    """The family of the strongest signal: a rule's, or the nearest exemplar's."""
    reason: str
    """Rule names and the similarity signal, for logs and the eval report."""
    rules: tuple[RuleHit, ...] = ()
    likeness: float | None = None
    """The classifier's P(attack) for the most attack-like segment; None when not embedded."""
    nearest: str | None = field(default=None, repr=False)
    """The attack exemplar nearest that segment."""


class InjectionGuard:
    def __init__(
        self,
        embedder: Embedder | None,
        *,
        threshold: float = THRESHOLD,
        rules: Sequence[Rule] = DIRECT_RULES,
        attacks: Sequence[Exemplar] | None = None,
        benign: Sequence[Exemplar] | None = None,
    ) -> None:
        self._embedder = embedder
        self._threshold = threshold
        self._rules = tuple(rules)
        self._model = (
            LazyModel(
                embedder,
                attacks if attacks is not None else bundled("attacks"),
                benign if benign is not None else bundled("benign"),
            )
            if embedder is not None
            else None
        )

    async def warm(self) -> None:
        """Embed the exemplars and fit the classifier now (a few seconds on a CPU), so the
        first customer does not wait for it; call it at start-up."""
        if self._model is not None:
            await self._model.get()

    def check_rules(self, text: str) -> Verdict:
        """The rule signal alone: no model, no I/O."""
        return self._verdict(self._rule_hits(text), None)

    async def check(self, text: str) -> Verdict:
        return (await self.check_many([text]))[0]

    async def check_many(self, texts: Sequence[str]) -> list[Verdict]:
        """One verdict per text; the segments of all texts are embedded in batches."""
        hits = [self._rule_hits(text) for text in texts]
        if self._model is None or self._embedder is None:
            return [self._verdict(h, None) for h in hits]
        segments = [segments_of(text) for text in texts]
        flat = [segment for group in segments for segment in group]
        model = await self._model.get()
        if len(texts) == 1 and len(flat) > 1:
            # The whole message alone first: an embedding cache (`RecentEmbeddings`) that
            # triage filled answers it; only the sentences are new work.
            vectors = np.concatenate(
                [
                    await embed_all(self._embedder, flat[:1]),
                    await embed_all(self._embedder, flat[1:]),
                ]
            )
        else:
            vectors = await embed_all(self._embedder, flat)
        scored = model.likeness(vectors)
        verdicts, position = [], 0
        for text_hits, group in zip(hits, segments, strict=True):
            found = scored[position : position + len(group)]
            position += len(group)
            best = max(found, key=lambda likeness: likeness.probability, default=None)
            verdicts.append(self._verdict(text_hits, best))
        return verdicts

    def _rule_hits(self, text: str) -> list[RuleHit]:
        readings = normalise.views(text)
        if normalise.hidden_payloads(text):
            readings.append(_MARKER)
        return match(self._rules, readings, normalise.clean(text))

    def _verdict(self, hits: list[RuleHit], likeness: Likeness | None) -> Verdict:
        weight = likeness_weight(likeness.probability) if likeness is not None else 0.0
        score = combine([*(h.weight for h in hits), weight])
        strongest = max(hits, key=lambda h: h.weight, default=None)
        family = None
        if strongest is not None and strongest.weight >= weight:
            family = strongest.family
        elif likeness is not None and weight > 0:
            family = _family_of(likeness.nearest.family)
        reasons = [h.rule for h in sorted(hits, key=lambda h: -h.weight)]
        if likeness is not None and weight > 0:
            reasons.append(
                f"like_{_family_of(likeness.nearest.family)}({likeness.probability:.2f})"
            )
        return Verdict(
            flagged=score >= self._threshold,
            score=round(score, 4),
            family=family,
            reason=", ".join(reasons) or "none",
            rules=tuple(hits),
            likeness=round(likeness.probability, 4) if likeness is not None else None,
            nearest=likeness.nearest.text if likeness is not None else None,
        )


def likeness_weight(probability: float) -> float:
    ramp = (probability - LIKENESS_FLOOR) / (LIKENESS_CEILING - LIKENESS_FLOOR)
    return LIKENESS_MAX_WEIGHT * min(1.0, max(0.0, ramp))


def _family_of(exemplar_family: str) -> str:
    # "persona_jailbreak_more" is a second batch of the family "persona_jailbreak".
    return exemplar_family.removesuffix("_more")


def segments_of(text: str) -> list[str]:
    """The whole message (what triage embeds too, so an embedding cache serves it) and,
    when it has several, its sentences: one attack sentence in a friendly message."""
    # The raw text when it is plain, so an embedding cache keyed on it serves this lookup.
    whole = text if text.isascii() else normalise.clean(text)
    parts = [s.text for s in sentences.split(text)]
    if len(parts) <= 1:
        return [whole]
    return [whole, *(normalise.clean(p) for p in parts[:MAX_SEGMENTS])]
