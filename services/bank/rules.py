"""The bank's rules, free of I/O: limits, windows, delivery estimates, card transitions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal, get_args

from bank.base import Card, DisputeReason, ReportReason, TopUpSource, Transaction
from bank.errors import InvalidRequest, LimitExceeded, NotAllowed

MAX_KEY_CHARS = 200
# Top-ups through `top_up` come from a card or a wallet and land at once; a bank
# transfer top-up is started at the other bank, so it is not something we can "do".
INSTANT_TOP_UP_SOURCES: tuple[TopUpSource, ...] = ("debit_card", "apple_pay", "google_pay")
MAX_TOP_UP_MINOR = 100_000  # 1,000.00 in one top-up
DAILY_TOP_UP_MINOR = 200_000  # 2,000.00 per account in any 24 hours
DISPUTE_WINDOW = timedelta(days=120)  # the card schemes' usual chargeback window
REPLACEMENT_WORKING_DAYS = 3
DISPUTE_UPDATE_WORKING_DAYS = 10

CardAction = Literal["freeze", "unfreeze", "report"]
Decision = Literal["apply", "no_change"]

_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def format_money(amount_minor: int, currency: str) -> str:
    """'£1,234.50'; assumes a currency with two decimal places, as all of Harbor's are."""
    sign = "-" if amount_minor < 0 else ""
    units, minor = divmod(abs(amount_minor), 100)
    symbol = _SYMBOLS.get(currency)
    amount = f"{units:,}.{minor:02d}"
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


def format_day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def add_working_days(start: date, days: int) -> date:
    """`days` weekdays after `start` (bank holidays are not modelled)."""
    day = start
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def check_idempotency_key(key: str) -> None:
    if not key.strip() or len(key) > MAX_KEY_CHARS:
        raise InvalidRequest(
            f"The request needs an idempotency key of 1 to {MAX_KEY_CHARS} characters."
        )


def check_limit(limit: int) -> int:
    return max(1, min(limit, 100))


def card_transition(card: Card, action: CardAction) -> Decision:
    """Whether `action` changes `card`, is already true of it, or is refused."""
    status = card.status
    if status == "cancelled":
        raise NotAllowed(f"Your {card.label} has been cancelled, so it can't be changed.")
    if status in ("lost", "stolen"):
        if action == "report":
            return "no_change"
        raise NotAllowed(
            f"Your {card.label} was reported {status} and is blocked for good;"
            " use its replacement instead."
        )
    if action == "report":
        return "apply"
    if status == "in_post":
        raise NotAllowed(
            f"Your {card.label} is still on its way and isn't active yet, so there's nothing"
            " to freeze or unfreeze. If it has gone missing, report it lost."
        )
    if action == "freeze":
        return "apply" if status == "active" else "no_change"
    return "apply" if status == "frozen" else "no_change"


def check_report_reason(reason: str) -> ReportReason:
    if reason not in get_args(ReportReason):
        raise InvalidRequest("A card can be reported lost or stolen.")
    return reason  # type: ignore[return-value]


def check_top_up(amount_minor: int, source: str) -> TopUpSource:
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise InvalidRequest("The amount must be a whole number of pence.")
    if amount_minor <= 0:
        raise InvalidRequest("A top-up must be for more than zero.")
    if amount_minor > MAX_TOP_UP_MINOR:
        raise LimitExceeded(
            f"A single top-up can be at most {format_money(MAX_TOP_UP_MINOR, 'GBP')}."
        )
    if source == "bank_transfer":
        raise InvalidRequest(
            "To top up by bank transfer, send money from your other bank to your Harbor"
            " account details; it arrives within two hours."
        )
    if source not in INSTANT_TOP_UP_SOURCES:
        raise InvalidRequest("You can top up from a debit card, Apple Pay or Google Pay.")
    return source


def check_daily_top_ups(already_minor: int, amount_minor: int, currency: str) -> None:
    if already_minor + amount_minor > DAILY_TOP_UP_MINOR:
        left = max(0, DAILY_TOP_UP_MINOR - already_minor)
        raise LimitExceeded(
            f"That would take you over the {format_money(DAILY_TOP_UP_MINOR, currency)}"
            f" top-up limit for 24 hours; you can add up to {format_money(left, currency)}"
            " right now."
        )


def check_dispute_reason(reason: str) -> DisputeReason:
    if reason not in get_args(DisputeReason):
        choices = ", ".join(r.replace("_", " ") for r in get_args(DisputeReason))
        raise InvalidRequest(f"A dispute needs one of these reasons: {choices}.")
    return reason  # type: ignore[return-value]


def check_disputable(txn: Transaction, now: datetime) -> None:
    if txn.kind != "card_payment" or txn.amount_minor >= 0:
        raise NotAllowed(
            "Only card payments can be disputed. For a bank transfer, contact the person"
            " you paid or ask us about a recall."
        )
    if txn.status == "pending":
        raise NotAllowed(
            "This payment is still pending, so it can't be disputed yet. Most complete or"
            " drop off within 7 days; if it completes, you can dispute it then."
        )
    if txn.status == "declined":
        raise NotAllowed("This payment was declined, so no money left your account.")
    if txn.dispute_id is not None:
        raise NotAllowed(
            f"You've already disputed this payment (reference {txn.dispute_id});"
            " we'll update you on that dispute."
        )
    if now - txn.created_at > DISPUTE_WINDOW:
        raise NotAllowed(
            f"This payment is more than {DISPUTE_WINDOW.days} days old, which is too late to"
            " dispute it with the card scheme. Contact the merchant directly."
        )
