"""Which specialist, if any, takes a question triage routed to knowledge (or out of scope).

Triage decides the route ("knowledge": a question about Harbor Bank) and the intent;
a question whose answer is in the customer's own records goes to the specialist that can
read them, which hands it back to the help centre when the records have nothing to say.
Three rules, in order:

1. an answer to the question a specialist asked last turn ("which card?") goes back to it;
2. a request for someone else's data, or an explicit action ("freeze my card", "dispute
   the StreamFlix payment", "I don't recognise this payment", "top up £50"), goes to the
   agent for that object, whatever the intent (a card action first: stopping the card
   matters more than the refund);
3. otherwise the intent decides (`SPECIALIST_INTENTS`).
"""

from __future__ import annotations

import re

from desk.actions import phrases
from desk.agents.specialist import question_pending
from desk.agents.state import DeskState
from desk.agents.transcript import last_customer_message

SPECIALIST_INTENTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "lost_or_stolen_card",
            "compromised_card",
            "card_arrival",
            "card_delivery_estimate",
            "card_not_working",
        ),
        "cards",
    ),
    **dict.fromkeys(
        (
            "pending_transfer",
            "transfer_not_received_by_recipient",
            "failed_transfer",
            "declined_transfer",
            "transfer_timing",
            "declined_card_payment",
            "pending_card_payment",
            "declined_cash_withdrawal",
            "pending_cash_withdrawal",
            "pending_top_up",
            "top_up_failed",
            "top_up_reverted",
        ),
        "payments",
    ),
    **dict.fromkeys(
        (
            "card_payment_not_recognised",
            "request_refund",
            "Refund_not_showing_up",
            "transaction_charged_twice",
        ),
        "disputes",
    ),
}
SPECIALISTS = ("cards", "payments", "disputes")

_PAYMENT_WORDS = re.compile(r"\b(transactions?|payments?|transfers?|balances?|statements?)\b", re.I)


def specialist_for(state: DeskState) -> str | None:
    messages = state["messages"]
    text = last_customer_message(messages)
    asked = question_pending(state)
    if asked and phrases.words(text) & set(asked.get("choices", {})):
        return str(asked["agent"])
    if phrases.about_someone_else(text):
        return "payments" if _PAYMENT_WORDS.search(text) else "cards"
    if phrases.asks_for_card_action(text):  # "freeze my card, I didn't make these payments"
        return "cards"
    if phrases.DISPUTE.search(text):
        return "disputes"
    if phrases.TOP_UP.search(text) and phrases.amount_minor(text) is not None:
        return "payments"
    return SPECIALIST_INTENTS.get(state.get("intent") or "")
