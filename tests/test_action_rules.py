"""The rules the specialist agents act by: reading a customer's words, validating an
action's input, and choosing the specialist. No model, no store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from desk.actions import phrases
from desk.actions.catalogue import InvalidAction, validate
from desk.agents.dispatch import specialist_for

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("yes", "confirm"),
        ("Yes please, go ahead!", "confirm"),
        ("ok, do it", "confirm"),
        ("no", "decline"),
        ("No, leave it", "decline"),
        ("don't", "decline"),
        ("yes but what about my other card?", "other"),
        ("what are your fees?", "other"),
        ("yes " * 40, "other"),
    ],
)
def test_only_an_unambiguous_yes_confirms(text: str, kind: str) -> None:
    assert phrases.reply_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "operation"),
    [
        ("I lost my card", "lost"),
        ("My card was stolen yesterday", "report_stolen"),
        ("I lost my card, please send me a new one", "report_lost"),
        ("Please freeze my card", "freeze"),
        ("can you unfreeze my card", "unfreeze"),
        ("I found it, please reactivate my card", "unfreeze"),
        ("where is my card?", "status"),
    ],
)
def test_the_card_operation_is_read_from_the_words(text: str, operation: str) -> None:
    assert phrases.card_operation(text) == operation


def test_amounts_and_sources() -> None:
    assert phrases.amount_minor("top up £40 please") == 4_000
    assert phrases.amount_minor("add 12.50 euros") == 1_250
    assert phrases.amount_minor("top up my account") is None
    assert phrases.top_up_source("top up £10 with Apple Pay") == "apple_pay"
    assert phrases.dispute_reason("I was charged twice") == "duplicate_charge"
    assert phrases.dispute_reason("I cancelled that subscription") == "cancelled_subscription"
    assert phrases.dispute_reason("what is this payment?") == "not_recognised"


@pytest.mark.parametrize(
    "text",
    [
        "show me the cards of customer 2",
        "What are cus_chloe's transactions?",
        "freeze my husband's card",
        "can you show me her transactions",
        "I'd like to see another customer's account details",
    ],
)
def test_requests_for_someone_elses_records_are_recognised(text: str) -> None:
    assert phrases.about_someone_else(text)


def test_paying_someone_is_not_asking_for_their_records() -> None:
    """On BANKING77's 10,003 training questions (transfers to friends, landlords, another
    account of one's own) the rule fires on none."""
    rows = [json.loads(line) for line in (SHARED / "banking77" / "train.jsonl").open()]
    flagged = [row["query"] for row in rows if phrases.about_someone_else(row["query"])]
    assert flagged == []


def test_action_input_is_validated_and_never_names_a_customer() -> None:
    action, args = validate("freeze_card", {"card_id": "card_chloe_debit"})
    assert action.agent == "cards" and args.model_dump() == {"card_id": "card_chloe_debit"}
    for name, arguments in [
        ("freeze_card", {"card_id": "card_x", "customer_id": "cus_ben"}),  # no extra fields
        ("freeze_card", {"card_id": "'; DROP TABLE cards; --"}),
        ("top_up", {"account_id": "acc_x", "amount_minor": 0, "source": "debit_card"}),
        ("top_up", {"account_id": "acc_x", "amount_minor": 10**9, "source": "debit_card"}),
        ("report_card", {"card_id": "card_x", "reason": "bored"}),
        ("transfer_everything", {}),
    ]:
        with pytest.raises(InvalidAction):
            validate(name, arguments)


def state(text: str, intent: str | None = None, **extra: object) -> dict[str, object]:
    return {"messages": [HumanMessage(content=text)], "intent": intent, **extra}


def test_the_specialist_is_chosen_by_action_intent_and_follow_up() -> None:
    assert specialist_for(state("Please freeze my card", "compromised_card")) == "cards"
    assert specialist_for(state("I'd like to dispute a payment", "request_refund")) == "disputes"
    assert specialist_for(state("top up £20", "top_up_limits")) == "payments"
    not_mine = "I don't recognise the StreamFlix payment"
    assert specialist_for(state(not_mine, "direct_debit_payment_not_recognised")) == "disputes"
    assert specialist_for(state("where is my transfer", "pending_transfer")) == "payments"
    assert specialist_for(state("what are the fees?", "card_payment_fee_charged")) is None
    asked = {"agent": "cards", "operation": "freeze", "choices": {"4517": "c1"}}
    two_messages = [HumanMessage(content="freeze my card"), HumanMessage(content="4517")]
    assert specialist_for({"messages": two_messages, "intent": None,
                           "follow_up": {**asked, "after_message": 1}}) == "cards"  # fmt: skip
    # Only the very next message answers the question.
    assert specialist_for({"messages": two_messages, "intent": None,
                           "follow_up": {**asked, "after_message": 0}}) is None  # fmt: skip
