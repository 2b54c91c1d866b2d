"""The disputes agent: dispute a card payment, and say where a refund stands.

A dispute needs one payment: named by its merchant ("the StreamFlix payment"), or picked
from the recent card payments the agent lists when the message names none. Which
payments can be disputed is the bank's rule (bank.rules.check_disputable); the agent
only offers completed card payments and lets the bank have the last word.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from bank import Dispute, Transaction
from bank.rules import format_day, format_money
from desk.actions import phrases
from desk.agents.services import AgentServices
from desk.agents.specialist import (
    Turn,
    follow_up,
    propose,
    question_pending,
    refuse_other_customer,
    reply,
    to_knowledge,
    turn_of,
)
from desk.agents.state import DeskContext, DeskState

AGENT = "disputes"
REFUND_INTENTS = frozenset({"Refund_not_showing_up", "request_refund"})
LISTED = 5
REASON_WORDS = {
    "not_recognised": "you don't recognise it",
    "not_received": "you didn't receive what you paid for",
    "wrong_amount": "you were charged the wrong amount",
    "duplicate_charge": "you were charged twice",
    "cancelled_subscription": "you had cancelled",
}


def make_disputes(services: AgentServices):  # type: ignore[no-untyped-def]
    async def disputes(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        turn = turn_of(services, state, runtime)
        if turn is None:
            return to_knowledge()
        if phrases.about_someone_else(turn.text):
            return refuse_other_customer(AGENT)
        tenant, customer = turn.who.tenant, turn.who.customer_id
        cases = await turn.bank.list_disputes(tenant, customer)
        asking_refund = turn.intent in REFUND_INTENTS or "refund" in turn.text.lower()
        if asking_refund and cases and not phrases.DISPUTE.search(turn.text):
            return reply(AGENT, " ".join(case_line(c) for c in cases[:LISTED]))
        recent = await turn.bank.list_transactions(tenant, customer, status="completed", limit=50)
        payments = [t for t in recent if t.kind == "card_payment" and t.dispute_id is None]
        if not payments:
            return to_knowledge()
        return choose(state, turn, payments)

    return disputes


def case_line(case: Dispute) -> str:
    money = format_money(case.amount_minor, case.currency)
    line = f"Your dispute {case.id} for {money} is {case.status.replace('_', ' ')}"
    if case.refund_status == "pending" and case.expected_by is not None:
        line += f"; the refund should reach you by {format_day(case.expected_by)}"
    elif case.refund_status == "refunded" and case.refunded_at is not None:
        line += f"; we refunded you on {format_day(case.refunded_at.date())}"
    elif case.expected_by is not None and case.refund_status == "not_decided":
        line += f"; we'll update you by {format_day(case.expected_by)}"
    return line + "."


def choose(state: DeskState, turn: Turn, payments: Sequence[Transaction]) -> dict[str, Any]:
    named = phrases.payments_named(turn.text, payments)
    asked = question_pending(state)
    if not named and asked and asked.get("agent") == AGENT:
        ids = {asked["choices"][w] for w in phrases.words(turn.text) if w in asked["choices"]}
        named = [t for t in payments if t.id in ids]
    if len(named) == 1:
        return propose_dispute(turn, named[0])
    shown = list(named or payments)[:LISTED]
    choices = {word: t.id for t in shown for word in phrases.merchant_words(t.description)}
    listed = "; ".join(
        f"{t.description}, {format_money(-t.amount_minor, t.currency)} on "
        f"{format_day(t.created_at.date())}"
        for t in shown
    )
    return {
        **reply(
            AGENT,
            f"Which payment would you like to dispute? Your recent card payments: {listed}. "
            "Tell me the merchant's name.",
        ),
        **follow_up(turn, AGENT, "open_dispute", choices),
    }


def propose_dispute(turn: Turn, payment: Transaction) -> dict[str, Any]:
    reason = phrases.dispute_reason(turn.text)
    money = format_money(-payment.amount_minor, payment.currency)
    day = format_day(payment.created_at.date())
    return propose(
        AGENT,
        "open_dispute",
        {"transaction_id": payment.id, "reason": reason},
        f"Shall I open a dispute for the {money} payment to {payment.description} on {day}, "
        f"because {REASON_WORDS[reason]}? We'll contact the merchant; any refund follows "
        "the investigation.",
        summary=f"Dispute {money} at {payment.description}",
        declined="I haven't opened a dispute.",
    )
