"""A named pattern with a weight, and how a set of them scores a text.

Weights combine as a noisy-OR, 1 - Π(1 - w): one strong rule (w ≥ 0.5) flags a message on
its own, weak ones only together. Weak rules exist for phrases that are ordinary in a
bank's chat ("act as", "hypothetically", "maintenance mode") but telling beside others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    family: str
    weight: float
    pattern: re.Pattern[str]
    case_sensitive: bool = False
    """Match the cleaned text with its case kept (e.g. "DAN", not the name "Dan")."""


@dataclass(frozen=True)
class RuleHit:
    rule: str
    family: str
    weight: float
    excerpt: str


def rule(name: str, family: str, weight: float, pattern: str, *, case: bool = False) -> Rule:
    flags = 0 if case else re.IGNORECASE
    return Rule(name, family, weight, re.compile(pattern, flags), case)


def match(rules: Sequence[Rule], readings: Iterable[str], cased: str = "") -> list[RuleHit]:
    """Each rule's first match over the normalised readings (or `cased`, for case-sensitive
    rules); a rule counts once however often it matches."""
    texts = list(readings)
    hits: list[RuleHit] = []
    for item in rules:
        for text in [cased] if item.case_sensitive else texts:
            found = item.pattern.search(text)
            if found:
                hits.append(RuleHit(item.name, item.family, item.weight, found.group(0)[:80]))
                break
    return hits


def combine(weights: Iterable[float]) -> float:
    remaining = 1.0
    for weight in weights:
        remaining *= 1.0 - weight
    return 1.0 - remaining
