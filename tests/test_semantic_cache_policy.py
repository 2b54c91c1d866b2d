"""The cacheability rule: personal, history-bound, ungrounded or handed-off answers never."""

from __future__ import annotations

import pytest

from semantic_cache import is_cacheable

GENERAL = [
    "How long does card delivery take?",
    "How do I reset a PIN?",
    "Can I get a card for residents of Germany?",
    "What currencies do you support?",
    "How can I top up with a bank transfer?",
    "Where can I use Apple Pay?",
    "Is there a fee for exchanging currency?",
    "What should I do if a card is lost?",
    "Do I need identity documents to open an account",
]
PERSONAL = [
    "my card hasn't arrived, what should I do?",
    "My card still hasn't arrived after 2 weeks",
    "I was charged twice for one purchase",
    "Why was I charged a fee?",
    "my transfer is still pending",
    "I have been waiting over a week. Is the card still coming?",
    "We moved house, how do we change the address?",
    "Can you send me a new card?",
    "Please check card 4111 1111 1111 1111",
    "email john.doe@example.com about the refund",
    "I’m abroad and the ATM ate the card",
]


@pytest.mark.parametrize("question", GENERAL)
def test_general_questions_are_cacheable(question: str) -> None:
    decision = is_cacheable(
        question,
        route="knowledge",
        intent="card_arrival",
        had_history=False,
        grounded=True,
        covered=True,
    )
    assert decision.cacheable, decision.reason


@pytest.mark.parametrize("question", PERSONAL)
def test_personal_questions_are_never_cacheable(question: str) -> None:
    decision = is_cacheable(
        question,
        route="knowledge",
        intent="card_arrival",
        had_history=False,
        grounded=True,
        covered=True,
    )
    assert not decision.cacheable
    assert "customer" in decision.reason or "identifier" in decision.reason


@pytest.mark.parametrize(
    "question",
    [
        "And how long does that take?",
        "What about for a virtual card?",
        "Is it free?",
        "How much does this cost?",
        "In Germany?",
        "also the fees",
    ],
)
def test_follow_ups_with_history_are_not_cacheable(question: str) -> None:
    kwargs = {"route": "knowledge", "intent": "card_arrival", "grounded": True, "covered": True}
    decision = is_cacheable(question, had_history=True, **kwargs)  # type: ignore[arg-type]
    assert not decision.cacheable
    assert decision.reason == "follow-up that depends on earlier turns"


def test_a_self_contained_question_in_a_conversation_is_cacheable() -> None:
    question = "How long does card delivery take?"
    flags = {"route": "knowledge", "intent": "card_arrival", "grounded": True, "covered": True}
    assert is_cacheable(question, had_history=True, **flags).cacheable  # type: ignore[arg-type]
    used = is_cacheable(question, had_history=True, retrieval_used_history=True, **flags)  # type: ignore[arg-type]
    assert not used.cacheable


@pytest.mark.parametrize(
    ("route", "intent", "grounded", "covered", "reason"),
    [
        ("handoff", "human_agent", True, True, "route is handoff, not knowledge"),
        ("smalltalk", "greeting", True, True, "route is smalltalk, not knowledge"),
        ("out_of_scope", "out_of_scope", True, True, "route is out_of_scope, not knowledge"),
        ("knowledge", None, True, True, "no usable intent to scope the entry"),
        ("knowledge", 'bad"intent', True, True, "no usable intent to scope the entry"),
        ("knowledge", "card_arrival", False, True, "answer was not grounded in the knowledge base"),
        ("knowledge", "card_arrival", True, False, "knowledge base does not cover the question"),
    ],
)
def test_only_grounded_covered_knowledge_answers(
    route: str, intent: str | None, grounded: bool, covered: bool, reason: str
) -> None:
    decision = is_cacheable(
        "How long does card delivery take?",
        route=route,
        intent=intent,
        had_history=False,
        grounded=grounded,
        covered=covered,
    )
    assert decision == decision.__class__(False, reason)
