"""Customer-readable explanations of the reason codes the bank records."""

from __future__ import annotations

DECLINE_REASONS = {
    "insufficient_funds": "There wasn't enough money in the account when the payment was tried.",
    "merchant_blocked": "Payments to this merchant are blocked on the card.",
    "card_frozen": "The card was frozen at the time. Unfreeze it in the app and try again.",
    "suspected_fraud": (
        "Our fraud checks stopped it to protect you. If it was you, confirm it in the app"
        " and try again."
    ),
    "incorrect_pin": "The PIN entered was wrong.",
    "card_expired": "The card had expired.",
    "limit_exceeded": "It was over the card's spending limit.",
}

PENDING_REASONS = {
    "awaiting_merchant": (
        "The payment is approved and the money set aside; it completes when the merchant"
        " collects it, usually within 7 days. If they never do, it drops off."
    ),
    "pre_authorisation": (
        "This is a hold (hotels, car hire, fuel): the final amount is taken when the merchant"
        " settles, and the hold is released within 7 days."
    ),
    "processing": "It is being processed and should complete shortly.",
}

TRANSFER_REASONS = {
    "fraud_check": (
        "We're running a routine security check on this payment; most clear within 24 hours."
    ),
    "scheduled": "It's scheduled and will be sent on its payment date.",
    "processing": "It has been sent and is being processed by the receiving bank.",
    "recipient_details_invalid": (
        "The recipient's bank didn't recognise the account details; the money wasn't sent."
    ),
    "insufficient_funds": "There wasn't enough money in the account; the money wasn't sent.",
    "limit_exceeded": "It was over your daily transfer limit; the money wasn't sent.",
    "recipient_account_closed": (
        "The recipient's account is closed, so their bank sent the money back to you."
    ),
    "recipient_name_mismatch": (
        "The name didn't match the account at the recipient's bank, so it was sent back."
    ),
}


def explain(reasons: dict[str, str], code: str | None) -> str | None:
    return None if code is None else reasons.get(code, code.replace("_", " "))
