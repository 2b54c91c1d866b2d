"""The extractive responder: the last tier of `answer`, built from the sources alone, no model.

Contract
--------
Whoever asks the gateway for an `answer` passes the question and the numbered sources it
retrieved as metadata, next to the prompt the models read::

    await gateway.complete("answer", messages, metadata={
        "question": "How do I freeze my card?",
        "sources": [{"n": 1, "title": "Freezing your card", "text": "..."}, ...],
    })

LiteLLM does not send metadata to providers, so models only ever see the prompt. When every
model in the chain has failed, the Router calls this responder with the same metadata
(it arrives in `litellm_params["metadata"]`, see `gateway.extractive_provider`). Without
sources in the metadata the responder reads them from the prompt instead, in the format
`gateway.prompt_sources` describes; the structured path is preferred because it cannot be
misparsed.

The reply is 1 to 4 sentences, at most ~600 characters, copied verbatim from the sources,
each followed by its citation: ``You can freeze your card in the app [1].`` If no sentence
covers more than half of the question the reply is `NOT_FOUND`, with no citation, unless
the caller vouches for its sources (``"sources_vouched": true`` in the metadata: the desk
does, because retrieval already judged source 1 relevant by meaning). Words alone miss
paraphrases ("hasn't come" for "hasn't arrived"), so a vouched request gets the opening
sentences of source 1 instead: help-centre sections open with their answer. Same input,
same output.

Scoring: each sentence scores the share of the question's IDF weight it covers (IDF over
all sentences of the given sources, so words every source repeats count little), plus a
small bonus for coming from a higher-ranked source. Headings, list lead-ins ending in ":"
and fragments under four words are never quoted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

NOT_FOUND = "I couldn't find this in the help centre."

MAX_SENTENCES = 4
LEAD_SENTENCES = 2
MAX_CHARS = 600
MIN_WORDS = 4
# A sentence must cover more than half of the question's IDF weight to be quoted at all
# (matching "open" in "Can I open a mortgage?" is not an answer), and a further sentence
# needs half the best one's score: a quote that does not answer misleads.
MIN_COVERAGE = 0.55
RELATIVE_FLOOR = 0.5
RANK_BONUS = 0.05
# Overlapping chunks repeat sentences; two with this much term overlap are one sentence.
DUPLICATE_JACCARD = 0.8

# Function words, greetings, and words that frame a question rather than name its topic
# ("how long does it take", "how much").
_STOPWORD_TEXT = """
    a about after again all also am an and any are as at be been before being but by can
    could did do does doing for from get got had has have having hello help hi how i if in
    into is it its just let long many me much my need no not of often on or our please
    should so some soon take takes taking than thank thanks that the their them then there
    these they this to too up us was want we were what when where which while who why will
    with would you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[\"'“(\[]?[A-Z0-9])")
_BULLET = re.compile(r"^[-*+•]\s+")
_STEP = re.compile(r"^\d+[.)]\s+")
_MARKDOWN_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")


@dataclass(frozen=True)
class Source:
    n: int
    title: str
    text: str


@dataclass(frozen=True)
class _Sentence:
    n: int
    rank: int
    position: int
    text: str
    terms: frozenset[str]


def compose_answer(question: str, sources: Sequence[Source], *, vouched: bool = False) -> str:
    """Quote the sentences of `sources` that best answer `question`, each with its `[n]`.

    `vouched` says the caller already judged `sources[0]` relevant, so when no sentence
    matches by words the answer is that source's opening sentences rather than NOT_FOUND.
    """
    sentences = [
        _Sentence(source.n, rank, position, text, terms(text))
        for rank, source in enumerate(sources)
        for position, text in enumerate(split_sentences(source.text))
    ]
    asked = terms(question)
    if not sentences:
        return NOT_FOUND
    if not asked:
        return _lead(sentences) if vouched else NOT_FOUND

    idf = _idf(sentences, asked)
    weight = sum(idf.values())
    scored = []
    for sentence in sentences:
        coverage = sum(idf[t] for t in asked & sentence.terms) / weight
        if coverage >= MIN_COVERAGE:
            bonus = RANK_BONUS * (1 - sentence.rank / len(sources))
            scored.append((coverage + bonus, sentence))
    if not scored:
        return _lead(sentences) if vouched else NOT_FOUND

    scored.sort(key=lambda item: (-item[0], item[1].rank, item[1].position))
    chosen = _choose(scored)
    if len(chosen) < 2:
        chosen += _continuation(chosen[0], sentences, chosen)
    return _render(chosen)


def terms(text: str) -> frozenset[str]:
    """Content words, lower-cased and lightly stemmed so "cards" meets "card"."""
    return frozenset(
        _stem(word)
        for word in _WORD.findall(text.lower())
        if word not in STOPWORDS and len(word) > 1
    )


def split_sentences(text: str) -> list[str]:
    """Quotable units of a help-centre article: prose sentences, bullet items, and each
    numbered list kept whole (steps only make sense together). Headings, tables, list
    lead-ins ending in ":" and fragments under `MIN_WORDS` words are left out."""
    units: list[tuple[str, bool]] = []  # (text, split into sentences?)
    for paragraph in re.split(r"\n\s*\n", text):
        prose: list[str] = []
        steps: list[str] = []
        for raw in paragraph.splitlines():
            line = _EMPHASIS.sub("", _MARKDOWN_LINK.sub(r"\1", raw.strip()))
            if not line or line.startswith(("#", "|", "---")):
                continue
            if _STEP.match(line):
                units.append((" ".join(prose), True))
                prose = []
                steps.append(line)
                continue
            units.append((" ".join(steps), False))
            steps = []
            if _BULLET.match(line):
                units.append((" ".join(prose), True))
                prose = []
                units.append((_BULLET.sub("", line), True))
            else:
                prose.append(line)
        units.extend([(" ".join(prose), True), (" ".join(steps), False)])

    sentences = []
    for unit, split in units:
        for sentence in _SENTENCE_BREAK.split(unit) if split else [unit]:
            if len(sentence.split()) >= MIN_WORDS and not sentence.endswith(":"):
                sentences.append(sentence)
    return sentences


def _stem(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    elif word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 6:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


def _undouble(stem: str) -> str:
    """Drop a doubled final consonant ("stopp" -> "stop"); l, s, z double in base words."""
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouylsz":
        return stem[:-1]
    return stem


def _idf(sentences: Sequence[_Sentence], asked: frozenset[str]) -> dict[str, float]:
    # BM25's IDF, which stays positive even for a word in every sentence. A question word
    # no source contains weighs as much as the rarest word that does: asking about
    # something absent lowers every sentence's coverage without vetoing a good match over
    # one unlucky word ("How long does a replacement take?" has no "long" to find).
    df = Counter(t for s in sentences for t in s.terms if t in asked)
    total = len(sentences)
    return {t: math.log(1 + (total - max(df[t], 1) + 0.5) / (max(df[t], 1) + 0.5)) for t in asked}


def _choose(scored: list[tuple[float, _Sentence]]) -> list[_Sentence]:
    best = scored[0][0]
    chosen: list[_Sentence] = []
    length = 0
    for score, sentence in scored:
        if len(chosen) == MAX_SENTENCES or score < RELATIVE_FLOOR * best:
            break
        if any(_similar(sentence, c) for c in chosen):
            continue
        cost = len(_cite(sentence)) + 1
        if chosen and length + cost > MAX_CHARS:
            continue
        chosen.append(sentence)
        length += cost
    return chosen


def _continuation(
    anchor: _Sentence, sentences: Sequence[_Sentence], chosen: Sequence[_Sentence]
) -> list[_Sentence]:
    """The sentence after the only match often finishes its instruction; quote it too."""
    for sentence in sentences:
        if sentence.n == anchor.n and sentence.position == anchor.position + 1:
            fits = len(_cite(anchor)) + len(_cite(sentence)) + 1 <= MAX_CHARS
            if fits and not any(_similar(sentence, c) for c in chosen):
                return [sentence]
    return []


def _lead(sentences: Sequence[_Sentence]) -> str:
    """The opening sentences of the best-ranked source that has any, within the length cap."""
    first = min(s.rank for s in sentences)
    opening = sorted((s for s in sentences if s.rank == first), key=lambda s: s.position)
    chosen = [opening[0]]
    for sentence in opening[1:LEAD_SENTENCES]:
        if sum(len(_cite(s)) + 1 for s in [*chosen, sentence]) > MAX_CHARS:
            break
        chosen.append(sentence)
    return _render(chosen)


def _similar(a: _Sentence, b: _Sentence) -> bool:
    union = a.terms | b.terms
    return bool(union) and len(a.terms & b.terms) / len(union) >= DUPLICATE_JACCARD


def _render(chosen: Sequence[_Sentence]) -> str:
    # Best source first, and each source's sentences in the order the article has them.
    source_order = list(dict.fromkeys(s.n for s in chosen))
    ordered = sorted(chosen, key=lambda s: (source_order.index(s.n), s.position))
    answer = " ".join(_cite(s) for s in ordered)
    if len(answer) <= MAX_CHARS:
        return answer
    # Only a single over-long sentence gets here: cut it at a word, keep its citation.
    citation = f" [{ordered[0].n}]."
    cut = ordered[0].text[: MAX_CHARS - len(citation) - 1].rsplit(" ", 1)[0]
    return f"{cut}…{citation}"


def _cite(sentence: _Sentence) -> str:
    text = sentence.text.rstrip()
    if text[-1] in ".!?":
        return f"{text[:-1]} [{sentence.n}]{text[-1]}"
    return f"{text} [{sentence.n}]."
