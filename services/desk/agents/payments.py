"""The payments agent: transfer status, why a payment is pending, failed or declined, top-ups.

Explanations come from the bank's own reason codes (bank.reasons), so the customer hears
what actually happened to their payment, not a general article. A top-up moves money,
so it is proposed for confirmation like every side effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langgraph.runtime import Runtime

from bank import Account, Transaction, Transfer
from bank.base import TransactionStatus
from bank.rules import MAX_TOP_UP_MINOR, format_day, format_money
from bank.topups import SOURCE_NAMES
from desk.actions import phrases
from desk.actions.phrases import merchant_words
from desk.agents.services import AgentServices
from desk.agents.specialist import (
    Turn,
    propose,
    refuse_other_customer,
    reply,
    to_knowledge,
    turn_of,
)
from desk.agents.state import DeskContext, DeskState

AGENT = "payments"
TRANSFER_INTENTS = frozenset(
    {
        "pending_transfer",
        "transfer_not_received_by_recipient",
        "failed_transfer",
        "declined_transfer",
        "transfer_timing",
        "cancel_transfer",
    }
)
CARD_PAYMENT_INTENTS = frozenset(
    {
        "declined_card_payment",
        "pending_card_payment",
        "declined_cash_withdrawal",
        "pending_cash_withdrawal",
        "card_not_working",
    }
)
TOP_UP_INTENTS = frozenset({"pending_top_up", "top_up_failed", "top_up_reverted"})
SHOWN = 3


def make_payments(services: AgentServices):  # type: ignore[no-untyped-def]
    async def payments(state: DeskState, runtime: Runtime[DeskContext]) -> dict[str, Any]:
        turn = turn_of(services, state, runtime)
        if turn is None:
            return to_knowledge()
        if phrases.about_someone_else(turn.text):
            return refuse_other_customer(AGENT)
        if phrases.TOP_UP.search(turn.text) and turn.intent not in TOP_UP_INTENTS:
            return await top_up(turn)
        if turn.intent in TRANSFER_INTENTS or "transfer" in turn.text.lower():
            return await transfers(turn)
        if turn.intent in TOP_UP_INTENTS:
            return await top_ups(turn)
        return await card_payments(turn)

    return payments


async def top_up(turn: Turn) -> dict[str, Any]:
    accounts = await turn.bank.list_accounts(turn.who.tenant, turn.who.customer_id)
    account = main_account(accounts)
    if account is None:
        return to_knowledge()
    amount = phrases.amount_minor(turn.text)
    if amount is None:
        return reply(
            AGENT,
            f"How much would you like to add to your {account.name}? For example: "
            '"top up £50 from my debit card".',
        )
    if not 0 < amount <= MAX_TOP_UP_MINOR:
        return reply(
            AGENT,
            f"A single top-up can be up to {format_money(MAX_TOP_UP_MINOR, account.currency)}.",
        )
    source = phrases.top_up_source(turn.text)
    money = format_money(amount, account.currency)
    return propose(
        AGENT,
        "top_up",
        {"account_id": account.id, "amount_minor": amount, "source": source},
        f"Shall I top up your {account.name} with {money} from {SOURCE_NAMES[source]}?",
        summary=f"Top up {money} from {SOURCE_NAMES[source]}",
        declined="I haven't topped up your account.",
    )


def main_account(accounts: Sequence[Account]) -> Account | None:
    open_ = [a for a in accounts if a.status == "open"]
    current = [a for a in open_ if a.kind == "current"]
    chosen = current or open_
    return chosen[0] if chosen else None


def transfer_line(transfer: Transfer) -> str:
    money = format_money(transfer.amount_minor, transfer.currency)
    status = {"pending": "is pending", "failed": "failed", "returned": "was returned"}.get(
        transfer.status, "has arrived"
    )
    line = (
        f"Your transfer of {money} to {transfer.recipient_name} ({transfer.recipient_account}, "
        f"sent {format_day(transfer.created_at.date())}) {status}."
    )
    if transfer.explanation:
        line += f" {transfer.explanation}"
    if transfer.status == "pending" and transfer.expected_by is not None:
        line += f" It should arrive by {format_day(transfer.expected_by)}."
    return line


async def transfers(turn: Turn) -> dict[str, Any]:
    found = await turn.bank.list_transfers(turn.who.tenant, turn.who.customer_id, limit=20)
    unsettled = [t for t in found if t.status != "completed"]
    if not unsettled:
        return to_knowledge()
    # "my rent transfer", "the transfer to Sam": the ones the customer names, if any.
    said = phrases.words(turn.text)
    named = [t for t in unsettled if merchant_words(f"{t.recipient_name} {t.reference}") & said]
    return reply(AGENT, " ".join(transfer_line(t) for t in (named or unsettled)[:SHOWN]))


def payment_line(txn: Transaction) -> str:
    money = format_money(-txn.amount_minor, txn.currency)
    state = {"declined": "was declined", "pending": "is pending"}.get(txn.status, txn.status)
    day = format_day(txn.created_at.date())
    line = f"Your payment of {money} at {txn.description} ({day}) {state}."
    if txn.explanation:
        line += f" {txn.explanation}"
    return line


async def card_payments(turn: Turn) -> dict[str, Any]:
    lower = turn.text.lower()
    wanted: TransactionStatus = (
        "pending"
        if turn.intent in ("pending_card_payment", "pending_cash_withdrawal")
        or ("pending" in lower)
        else "declined"
    )
    found = await turn.bank.list_transactions(
        turn.who.tenant, turn.who.customer_id, status=wanted, limit=SHOWN
    )
    if not found:
        return to_knowledge()
    return reply(AGENT, " ".join(payment_line(t) for t in found))


async def top_ups(turn: Turn) -> dict[str, Any]:
    found = await turn.bank.list_top_ups(turn.who.tenant, turn.who.customer_id, limit=10)
    unsettled = [t for t in found if t.status != "completed"][:SHOWN]
    if not unsettled:
        return to_knowledge()
    lines = []
    for t in unsettled:
        money = format_money(t.amount_minor, t.currency)
        when = format_day(t.created_at.date())
        if t.status == "pending":
            lines.append(
                f"Your {money} top-up by {t.source.replace('_', ' ')} from {when} is still "
                "on its way. From a UK bank it usually arrives within 2 hours; a SEPA transfer in "
                "euros takes 1 working day."
            )
        else:
            lines.append(f"Your {money} top-up from {when} failed, so no money was taken for it.")
    return reply(AGENT, " ".join(lines))
