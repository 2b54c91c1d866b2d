"""Card side effects, each run inside the transaction that records its action."""

from __future__ import annotations

import secrets
from dataclasses import replace
from datetime import datetime

from bank import reads, rules, sql
from bank.actions import Outcome, new_id
from bank.base import Card, CardStatus, ReportReason
from bank.errors import NotFound
from bank.migrations import Tx
from bank.rows import params, stamp
from bank.rules import CardAction, Decision, format_day

CARD_NOT_FOUND = "We couldn't find that card on your account."
# Compare-and-set attempts before giving up on a card whose status keeps changing.
ATTEMPTS = 3


async def freeze(tx: Tx, now: datetime, tenant: str, customer_id: str, card_id: str) -> Outcome:
    card, decision = await _move(tx, now, tenant, customer_id, card_id, "freeze", "frozen")
    if decision == "no_change":
        return Outcome(f"Your {card.label} is already frozen; nothing changed.", changed=False)
    return Outcome(
        f"Your {card.label} is now frozen: payments and cash withdrawals will be declined"
        " until you unfreeze it."
    )


async def unfreeze(tx: Tx, now: datetime, tenant: str, customer_id: str, card_id: str) -> Outcome:
    card, decision = await _move(tx, now, tenant, customer_id, card_id, "unfreeze", "active")
    if decision == "no_change":
        return Outcome(f"Your {card.label} isn't frozen; it's ready to use.", changed=False)
    return Outcome(f"Your {card.label} is unfrozen and ready to use.")


async def report(
    tx: Tx,
    now: datetime,
    tenant: str,
    customer_id: str,
    card_id: str,
    reason: ReportReason,
) -> Outcome:
    card, decision = await _move(tx, now, tenant, customer_id, card_id, "report", reason)
    if decision == "no_change":
        existing = await reads.replacement(tx, tenant, customer_id, card_id)
        already = f"Your {card.label} was already reported {card.status} and is blocked."
        if existing is None:
            return Outcome(already, changed=False)
        return Outcome(f"{already} {_on_its_way(existing)}", changed=False, result_id=existing.id)
    new = replacement_for(card, now)
    await tx.execute(sql.INSERT_CARD, *params(new))
    return Outcome(
        f"Your {card.label} is blocked for good, so nobody can use it. {_on_its_way(new)}",
        result_id=new.id,
    )


def replacement_for(card: Card, now: datetime) -> Card:
    """A new number on the same account: in the post if physical, ready at once if virtual."""
    new = replace(
        card,
        id=new_id("card"),
        last4=f"{secrets.randbelow(10_000):04d}",
        status="active",
        expires=f"{now.year + 3}-{now.month:02d}",
        issued_at=now,
        status_changed_at=now,
        replaces_card_id=card.id,
        dispatched_at=None,
        expected_by=None,
        delivery_status=None,
        delivered_at=None,
    )
    if card.kind == "virtual":
        return new
    expected = rules.add_working_days(now.date(), rules.REPLACEMENT_WORKING_DAYS)
    return replace(
        new, status="in_post", dispatched_at=now, expected_by=expected, delivery_status="dispatched"
    )


def _on_its_way(card: Card) -> str:
    if card.expected_by is None:
        return f"Your new {card.label} is ready to use in the app now."
    return (
        f"A replacement {card.label} is on its way and should arrive by"
        f" {format_day(card.expected_by)}."
    )


async def _move(
    tx: Tx,
    now: datetime,
    tenant: str,
    customer_id: str,
    card_id: str,
    action: CardAction,
    to: CardStatus,
) -> tuple[Card, Decision]:
    for _ in range(ATTEMPTS):
        card = await reads.card(tx, tenant, customer_id, card_id)
        if card is None:
            raise NotFound(CARD_NOT_FOUND)
        decision = rules.card_transition(card, action)
        if decision == "no_change":
            return card, decision
        moved = await tx.execute(
            sql.SET_CARD_STATUS, to, stamp(now), tenant, customer_id, card_id, card.status
        )
        if moved:
            return card, decision
    raise RuntimeError(f"card {card_id} changed status {ATTEMPTS} times while being updated")
