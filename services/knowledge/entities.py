"""Which named thing a conversation is about, so retrieval can look at that thing's documents.

A knowledge base about many similar things (hotels, restaurants, branches, products) names
each document's subject in `metadata.entity`, and optionally its kind in `metadata.domain`.
"Is there a good view from the room?" is unanswerable alone; two turns earlier the assistant
said "might I suggest the Alexander Bed and Breakfast?". The tracker reads the conversation
newest turn first and stops at the first turn that names an entity; retrieval is then
filtered to it. A question that names a kind ("does the restaurant serve alcohol?") skips
entities of other kinds.

Matching is by rule, not a model: names as phrases of words, spelling slips forgiven on
rare words only ("Graffitti"), and a name shortened to its distinctive part ("the
Gonville" for GONVILLE HOTEL) accepted when that part is not an everyday word. What counts
as generic or everyday is measured on the corpus itself: a word in three or more names
("house", "restaurant") is generic; a word in the documents of three or more entities
("place", "north") is everyday.

A knowledge base with no entities (Harbor Bank's help centre) gets an empty tracker and
retrieval is unchanged. ADR 0017 has the measured accuracy.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

GENERIC_NAMES: Final = 3
"""A word in at least this many entity names is generic: it cannot name one alone."""
EVERYDAY_ENTITIES: Final = 3
"""A word in the documents of at least this many entities is everyday, not a name."""
FUZZY_MIN_LENGTH: Final = 5
FUZZY_RATIO: Final = 0.85
MAX_TURNS: Final = 24
"""Turns read back from the question at most: the tracker's cost is bounded."""
_JOINERS: Final = frozenset({"the", "and", "of", "a", "b"})
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case words, with the spellings of one name made to agree: "B&B" and "bed and
    breakfast", "guesthouse" and "guest house", "Rosa's" and "Rosas"."""
    text = text.lower().replace("’", "'")
    text = re.sub(r"\bb\s*&\s*b\b|\bb and b\b", " bed and breakfast ", text)
    text = text.replace("&", " and ").replace("guesthouse", "guest house")
    text = re.sub(r"'s\b", "s", text)
    return _WORD.findall(text)


@dataclass(frozen=True)
class _Variant:
    entity: str
    words: tuple[str, ...]
    full: bool
    """The whole name (with or without a leading "the"), not its shortened form."""


class EntityTracker:
    """The entities of one tenant's knowledge base, and the rules that find them in text."""

    def __init__(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """`rows`: (entity, kind, document text) per chunk, as `VectorStore.entities` gives."""
        kinds: dict[str, str] = {}
        seen_in: defaultdict[str, set[str]] = defaultdict(set)
        for entity, kind, text in rows:
            kinds.setdefault(entity, kind)
            for word in set(words(text)):
                seen_in[word].add(entity)
        self.kinds: dict[str, str] = kinds
        self._names = {entity: tuple(words(entity)) for entity in kinds}
        in_names: defaultdict[str, int] = defaultdict(int)
        for name in self._names.values():
            for word in set(name):
                in_names[word] += 1
        self._everyday = {w for w, owners in seen_in.items() if len(owners) >= EVERYDAY_ENTITIES}
        generic = {w for w, count in in_names.items() if count >= GENERIC_NAMES} | _JOINERS
        self._by_first: defaultdict[str, list[_Variant]] = defaultdict(list)
        for entity, name in self._names.items():
            for variant in self._variants(entity, name, generic):
                self._by_first[variant.words[0]].append(variant)
        self._firsts = list(self._by_first)
        self._kind_words = {kind.lower(): kind for kind in set(kinds.values()) if kind}

    def __len__(self) -> int:
        return len(self.kinds)

    def _variants(self, entity: str, name: tuple[str, ...], generic: set[str]) -> list[_Variant]:
        if not name:
            return []
        found = [_Variant(entity, name, True)]
        if name[0] == "the" and len(name) > 1:
            found.append(_Variant(entity, name[1:], True))
        core = list(name)
        while core and core[0] in generic:
            core.pop(0)
        while core and core[-1] in generic:
            core.pop()
        distinctive = len(core) > 1 or (
            len(core) == 1 and len(core[0]) >= 4 and core[0] not in self._everyday
        )
        if distinctive and tuple(core) not in (v.words for v in found):
            found.append(_Variant(entity, tuple(core), False))
        return found

    def mentioned(self, text: str) -> set[str]:
        """The entities `text` names; a name inside a longer one that also matched does not
        count ("Pizza Express" in "Pizza Express Fen Ditton")."""
        tokens = words(text)
        matched: dict[str, tuple[int, bool]] = {}
        for start, token in enumerate(tokens):
            for variant in self._starting_with(token):
                if self._matches(variant.words, tokens, start):
                    strength = (len(variant.words), variant.full)
                    matched[variant.entity] = max(matched.get(variant.entity, (0, False)), strength)
        return {
            entity
            for entity, strength in matched.items()
            if not any(
                other != entity
                and set(self._names[entity]) < set(self._names[other])
                and matched[other] > strength
                for other in matched
            )
        }

    def focus(self, question: str, history: Sequence[tuple[str, str]] = ()) -> tuple[str, ...]:
        """The entities the question is about: those of the newest turn that names any,
        reading the question first, then `history` ((role, text), oldest first) backwards.
        Empty when no turn names one."""
        return self.locate(question, history)[0]

    def locate(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> tuple[tuple[str, ...], int]:
        """`focus`, and how many turns back it was named: 0 for the question itself."""
        if not self.kinds:
            return (), 0
        wanted = {self._kind_words[w] for w in words(question) if w in self._kind_words}
        wanted |= {
            self._kind_words[w[:-1]]
            for w in words(question)
            if w.endswith("s") and w[:-1] in self._kind_words
        }
        turns = [question, *(text for _, text in reversed(history[-MAX_TURNS:]))]
        for back, text in enumerate(turns):
            found = self.mentioned(text)
            if wanted:
                found = {entity for entity in found if self.kinds[entity] in wanted}
            if found:
                return tuple(sorted(found)), back
        return (), 0

    def _starting_with(self, token: str) -> list[_Variant]:
        exact = self._by_first.get(token, [])
        if not self._fuzzy(token):
            return exact
        close = difflib.get_close_matches(token, self._firsts, n=3, cutoff=FUZZY_RATIO)
        return exact + [v for first in close if first != token for v in self._by_first[first]]

    def _fuzzy(self, token: str) -> bool:
        """Whether a slip of spelling may be forgiven: rare, long words only."""
        return len(token) >= FUZZY_MIN_LENGTH and token not in self._everyday

    def _matches(self, name: Sequence[str], tokens: Sequence[str], start: int) -> bool:
        if start + len(name) > len(tokens):
            return False
        return all(self._same(want, tokens[start + i]) for i, want in enumerate(name))

    def _same(self, want: str, token: str) -> bool:
        if want == token:
            return True
        if not self._fuzzy(token) or len(want) < FUZZY_MIN_LENGTH:
            return False
        return difflib.SequenceMatcher(None, want, token).ratio() >= FUZZY_RATIO
