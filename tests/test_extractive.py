"""The extractive responder: the answer tier that needs no model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway import Gateway, build_gateway
from gateway.extractive import MAX_CHARS, NOT_FOUND, Source, compose_answer, split_sentences
from gateway.prompt_sources import parse_prompt
from supportdesk.config import Settings

FREEZE = Source(
    n=1,
    title="Freezing your card",
    text="""# Freezing your card

If your card is lost or you spot a payment you don't recognise, you can freeze it instantly.

To freeze your card:
1. Open the Harbor app and tap **Cards**.
2. Choose the card and tap [Freeze card](https://help.example/freeze).

Freezing blocks new card payments and cash withdrawals. Direct debits and standing orders
keep working. You can unfreeze the card at any time from the same screen.
""",
)
REPLACEMENT = Source(
    n=2,
    title="Lost or stolen cards",
    text="If your card is stolen, report it in the app under Cards. We cancel the card and "
    "send a replacement within 5 working days. Replacement cards are free.",
)
TRANSFERS = Source(
    n=3,
    title="International transfers",
    text="International transfers arrive within 1-2 working days. The fee is 0.5% of the "
    "amount, minimum £1.",
)
SOURCES = [FREEZE, REPLACEMENT, TRANSFERS]


def test_quotes_the_sentence_that_answers_with_its_citation() -> None:
    answer = compose_answer("How long does a replacement card take?", SOURCES)

    assert answer.startswith("We cancel the card and send a replacement within 5 working days [2].")


def test_cites_the_source_each_sentence_came_from() -> None:
    answer = compose_answer("Do direct debits keep working when I freeze my card?", SOURCES)

    assert "Direct debits and standing orders keep working [1]." in answer
    assert "[2]" not in answer and "[3]" not in answer


def test_numbered_steps_are_quoted_whole_and_markdown_is_stripped() -> None:
    answer = compose_answer("How do I freeze my card?", SOURCES)

    assert "1. Open the Harbor app and tap Cards. 2. Choose the card and tap Freeze card [1]." in (
        answer
    )
    assert "#" not in answer and "**" not in answer and "https://" not in answer


def test_answer_is_short_and_in_reading_order() -> None:
    answer = compose_answer("What is the fee for an international transfer?", SOURCES)

    assert answer == (
        "International transfers arrive within 1-2 working days [3]. "
        "The fee is 0.5% of the amount, minimum £1 [3]."
    )
    for question in ("How do I freeze my card?", "card payments freeze unfreeze debits"):
        assert len(compose_answer(question, SOURCES)) <= MAX_CHARS


def test_no_match_returns_the_fixed_sentence_without_citation() -> None:
    assert compose_answer("Can I open a mortgage?", SOURCES) == NOT_FOUND
    assert compose_answer("What is your crypto staking yield?", SOURCES) == NOT_FOUND
    assert compose_answer("hi", SOURCES) == NOT_FOUND
    assert compose_answer("How do I freeze my card?", []) == NOT_FOUND
    assert "[" not in NOT_FOUND


def test_is_deterministic() -> None:
    question = "Will my direct debits still work if I freeze my card?"

    assert len({compose_answer(question, SOURCES) for _ in range(5)}) == 1


def test_an_over_long_sentence_is_cut_at_a_word_and_keeps_its_citation() -> None:
    long = Source(n=4, title="Fees", text="The card fee " + "applies to purchases " * 60 + ".")

    answer = compose_answer("Which card fee applies to purchases?", [long])

    assert len(answer) <= MAX_CHARS
    assert answer.endswith("… [4].")


def test_headings_lead_ins_and_fragments_are_not_sentences() -> None:
    sentences = split_sentences(FREEZE.text)

    assert "Freezing your card" not in sentences
    assert not any(s.endswith(":") for s in sentences)
    assert all(len(s.split()) >= 4 for s in sentences)


def test_prompt_sources_are_parsed_back() -> None:
    prompt = (
        "Answer from the sources.\n\n[1] Freezing your card\nYou can freeze it in the app.\n\n"
        "Source [2]: Fees\nNo fee applies.\n\nQuestion: How do I freeze my card?"
    )

    parsed = parse_prompt(prompt)

    assert [(s.n, s.title, s.text) for s in parsed.sources] == [
        (1, "Freezing your card", "You can freeze it in the app."),
        (2, "Fees", "No fee applies."),
    ]
    assert parsed.question == "How do I freeze my card?"


@pytest.fixture
async def gateway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> AsyncIterator[Gateway]:
    monkeypatch.chdir(tmp_path)
    gw = build_gateway(Settings())
    yield gw
    await gw.aclose()


METADATA = {
    "question": "How long does a replacement card take?",
    "sources": [{"n": s.n, "title": s.title, "text": s.text} for s in SOURCES],
}


async def test_router_hands_the_metadata_to_the_responder(gateway: Gateway) -> None:
    completion = await gateway.complete(
        "answer-extractive",
        [{"role": "user", "content": "whatever the prompt says"}],
        metadata=METADATA,
    )

    assert completion.text == compose_answer(METADATA["question"], SOURCES)  # type: ignore[arg-type]
    assert completion.deployment == "answer-extractive"
    assert completion.fallbacks_used is False


async def test_without_metadata_the_responder_reads_the_prompt(gateway: Gateway) -> None:
    prompt = (
        f"[2] {REPLACEMENT.title}\n{REPLACEMENT.text}\n\n"
        "Question: How long does a replacement take?"
    )

    completion = await gateway.complete("answer-extractive", [{"role": "user", "content": prompt}])

    assert "within 5 working days [2]." in completion.text


async def test_streaming_yields_the_same_answer_word_by_word(gateway: Gateway) -> None:
    stream = await gateway.router.acompletion(
        model="answer-extractive",
        messages=[{"role": "user", "content": "?"}],
        metadata=dict(METADATA),
        stream=True,
    )
    pieces = [chunk.choices[0].delta.content or "" async for chunk in stream]

    assert "".join(pieces) == compose_answer(METADATA["question"], SOURCES)  # type: ignore[arg-type]
    assert len([p for p in pieces if p]) > 5


def test_vouched_sources_are_quoted_from_the_top_when_words_do_not_match() -> None:
    paraphrase = "my plastic hasn't come yet"
    assert compose_answer(paraphrase, SOURCES) == NOT_FOUND
    vouched = compose_answer(paraphrase, SOURCES, vouched=True)
    assert vouched != NOT_FOUND and "[1]" in vouched
    assert vouched.startswith(split_sentences(SOURCES[0].text)[0].rstrip(".!?"))
    # A real match still wins over the lead.
    matched = "How do I freeze my card?"
    assert compose_answer(matched, SOURCES, vouched=True) == compose_answer(matched, SOURCES)
