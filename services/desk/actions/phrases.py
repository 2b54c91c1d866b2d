"""What a customer's words ask the bank to do, read by rules rather than a model.

Acting on money and cards is where a misreading costs most, so the specialist agents
read the operation, the card, the amount and the merchant with patterns that are easy to
test and to audit; anything they cannot read is asked back, never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from bank import Card, Transaction

CardOperation = Literal["unfreeze", "freeze", "report_lost", "report_stolen", "lost", "status"]
Reply = Literal["confirm", "decline", "other"]

_UNFREEZE = re.compile(r"\b(unfreez\w*|un-?freez\w*|unblock\w*|unlock\w*|defrost\w*|reactivat\w*)")
_FREEZE = re.compile(r"\b(freez\w*|froze|block|lock|pause|suspend)\b")
_STOLEN = re.compile(r"\b(stolen|stole|steal|theft|pickpocket\w*|robbed|mugged)\b")
_LOST = re.compile(r"\b(lost|lose|losing|misplac\w*|can'?t find|cannot find|missing|dropped)\b")
_REPLACE = re.compile(
    r"\b(replace\w*|reissue\w*|re-issue\w*|(?:new|another) (?:card|one)|report\w*|cancel\w*)\b"
)
_CARD = re.compile(r"\bcards?\b")
_LAST4 = re.compile(r"(?<!\d)(\d{4})(?!\d)")

_AMOUNT = re.compile(
    r"(?:(?P<sym>[£€$])\s?(?P<a>\d{1,6}(?:[.,]\d{1,2})?)|(?P<b>\d{1,6}(?:[.,]\d{1,2})?)\s?"
    r"(?P<code>gbp|eur|usd|pounds?|euros?|dollars?|quid)\b)",
    re.IGNORECASE,
)
TOP_UP = re.compile(r"\btop[ -]?up\b|\badd (?:money|funds|£|€|\$)|\bload (?:money|£|€|\$)", re.I)

# Asking to dispute a payment rather than about one ("I don't recognise this payment").
DISPUTE = re.compile(
    r"\b(disput\w*|chargeback|challenge|contest|(?:don'?t|do not|didn'?t) recogni[sz]e|"
    r"unauthori[sz]ed|didn'?t (?:make|authori[sz]e) (?:this|that|the|a|these)|"
    r"charged (?:me )?twice)",
    re.I,
)

_DISPUTE_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("duplicate_charge", re.compile(r"\b(twice|double|duplicat\w*|two times)\b")),
    ("cancelled_subscription", re.compile(r"\b(cancel\w*|unsubscrib\w*|subscription)\b")),
    (
        "not_received",
        re.compile(
            r"\b(never (?:arrived|came|received|got)|not (?:arrived|received|delivered)"
            r"|didn'?t (?:arrive|get|receive))\b"
        ),
    ),
    (
        "wrong_amount",
        re.compile(r"\b(wrong amount|overcharg\w*|charged (?:me )?(?:too much|more))\b"),
    ),
)

_CONFIRM = re.compile(
    r"^(?:(?:yes|yeah|yep|yup|sure|ok|okay|confirm(?:ed)?|correct|right|please|go ahead|"
    r"do it|do that|please do|go for it|absolutely|definitely|of course|that'?s right|"
    r"freeze it|block it|unfreeze it|report it|send it|dispute it|top (?:it )?up|proceed)"
    r"[\s,.!]*)+$",
    re.IGNORECASE,
)
_DECLINE = re.compile(
    r"^(?:no|nope|nah|don'?t|do not|cancel|stop|wait|not now|never ?mind|leave it|"
    r"no thanks?|no thank you|hold on|abort)\b",
    re.IGNORECASE,
)

# Someone else's records: named by an id ("customer 2", "cus_ben"), or asked to be shown
# or acted on ("show me my husband's transactions", "freeze her card"). Paying someone
# ("transfer to my friend's account") is not asking for their records.
_CUSTOMER_ID = re.compile(
    r"\b(?:customer|client|user|account holder|member)s?\s*(?:#|no\.?|number|id)?\s*\d+\b"
    r"|\bcus_\w+",
    re.IGNORECASE,
)
_OTHER_PERSONS_RECORDS = re.compile(
    r"\b(?:show|see|view|list|check|access|read|look (?:at|up|into)|pull up|open|freeze|"
    r"unfreeze|block|cancel|give me|tell me|what(?:'s| is| are| were))\b\W+(?:\w+\W+){0,2}?"
    r"(?:someone else'?s|somebody else'?s|another (?:customer|person|user|client)'?s|"
    r"other (?:customers|people|users|clients)'?|(?:my )?(?:husband|wife|partner|friend|son|"
    r"daughter|mum|mom|mother|dad|father|brother|sister|colleague|boss|neighbou?r|ex)'s|"
    r"his|her|their)\s+(?:\w+\s+)?"
    r"(?:cards?|accounts?|transactions?|payments?|transfers?|balances?|statements?|details|"
    r"spending)\b",
    re.IGNORECASE,
)


def reply_kind(text: str) -> Reply:
    """A reply to "shall I…?": an unambiguous yes, a no, or something else."""
    clean = text.strip()
    if len(clean) <= 80 and _CONFIRM.match(clean):
        return "confirm"
    if _DECLINE.match(clean):
        return "decline"
    return "other"


def card_operation(text: str) -> CardOperation:
    lower = text.lower()
    if _UNFREEZE.search(lower):
        return "unfreeze"
    if _STOLEN.search(lower):
        return "report_stolen"
    lost = _LOST.search(lower) is not None
    if lost and _REPLACE.search(lower):
        return "report_lost"
    if lost:
        return "lost"
    if _FREEZE.search(lower):
        return "freeze"
    if _REPLACE.search(lower) and _CARD.search(lower):
        return "report_lost"
    return "status"


def asks_for_card_action(text: str) -> bool:
    """An explicit card action, whatever intent triage gave the message."""
    lower = text.lower()
    if not _CARD.search(lower):
        return False
    return bool(_UNFREEZE.search(lower) or _FREEZE.search(lower) or _STOLEN.search(lower))


def cards_named(text: str, cards: Sequence[Card]) -> list[Card]:
    """The cards the text singles out (by last four digits, or virtual/physical)."""
    digits = set(_LAST4.findall(text))
    if digits:
        return [card for card in cards if card.last4 in digits]
    lower = text.lower()
    if "virtual" in lower or "online" in lower:
        return [card for card in cards if card.kind == "virtual"]
    if "physical" in lower or "plastic" in lower or "debit" in lower:
        return [card for card in cards if card.kind == "physical"]
    return list(cards)


def amount_minor(text: str) -> int | None:
    match = _AMOUNT.search(text)
    if match is None:
        return None
    value = (match.group("a") or match.group("b")).replace(",", ".")
    return round(float(value) * 100)


def top_up_source(text: str) -> Literal["debit_card", "apple_pay", "google_pay"]:
    lower = text.lower()
    if "apple" in lower:
        return "apple_pay"
    if "google" in lower:
        return "google_pay"
    return "debit_card"


def dispute_reason(
    text: str,
) -> Literal[
    "not_recognised", "not_received", "wrong_amount", "duplicate_charge", "cancelled_subscription"
]:
    lower = text.lower()
    for reason, pattern in _DISPUTE_REASONS:
        if pattern.search(lower):
            return reason  # type: ignore[return-value]
    return "not_recognised"


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def merchant_words(description: str) -> set[str]:
    return {w for w in words(description) if len(w) >= 3}


def payments_named(text: str, payments: Sequence[Transaction]) -> list[Transaction]:
    """The payments whose merchant the text names ("the StreamFlix payment")."""
    said = words(text)
    return [txn for txn in payments if merchant_words(txn.description) & said]


def about_someone_else(text: str) -> bool:
    """Does the message ask for another person's data? Only the signed-in customer's is
    ever looked up; the agents say so rather than answer with the customer's own."""
    return bool(_CUSTOMER_ID.search(text) or _OTHER_PERSONS_RECORDS.search(text))
