"""Authored attack and benign exemplars for the similarity signals (YAML, one file each)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import yaml

EXEMPLARS_DIR: Final = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Exemplar:
    family: str
    text: str


def load(name: str, directory: Path = EXEMPLARS_DIR) -> tuple[Exemplar, ...]:
    """The exemplars of `name`.yaml: a mapping of family to a list of texts."""
    path = directory / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of family to texts")
    found: list[Exemplar] = []
    for family, texts in data.items():
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError(f"{path}: family {family!r} must be a list of strings")
        found += [Exemplar(str(family), " ".join(text.split())) for text in texts]
    return tuple(found)


@lru_cache(maxsize=8)
def bundled(name: str) -> tuple[Exemplar, ...]:
    return load(name)
