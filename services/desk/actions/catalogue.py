"""The side effects the desk's agents may propose, each a tool with validated input.

An agent proposes an action as a name and arguments; nothing happens until the customer
confirms (desk.agents.approval). At that point the arguments are validated again by the
action's model, so a tampered checkpoint or a model-written argument cannot reach the bank
malformed. The customer is never an argument: `perform` takes it from the authenticated
context, and the bank only ever sees that customer's rows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bank import ActionRecord, Bank
from bank.rules import MAX_TOP_UP_MINOR

_ID = r"^[a-z]{2,4}_[A-Za-z0-9_]{1,60}$"


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CardInput(_Input):
    card_id: str = Field(pattern=_ID)


class ReportCardInput(CardInput):
    reason: Literal["lost", "stolen"]


class TopUpInput(_Input):
    account_id: str = Field(pattern=_ID)
    amount_minor: int = Field(gt=0, le=MAX_TOP_UP_MINOR)
    source: Literal["debit_card", "apple_pay", "google_pay"]


class DisputeInput(_Input):
    transaction_id: str = Field(pattern=_ID)
    reason: Literal[
        "not_recognised",
        "not_received",
        "wrong_amount",
        "duplicate_charge",
        "cancelled_subscription",
    ]


@dataclass(frozen=True)
class Identity:
    """Who an action is for: from the authenticated request, never from a message."""

    tenant: str
    customer_id: str


Runner = Callable[[Bank, Identity, Any, str], Awaitable[ActionRecord]]


@dataclass(frozen=True)
class Action:
    name: str
    agent: str
    description: str
    schema: type[_Input]
    run: Runner


async def _freeze(bank: Bank, who: Identity, args: CardInput, key: str) -> ActionRecord:
    return await bank.freeze_card(who.tenant, who.customer_id, args.card_id, idempotency_key=key)


async def _unfreeze(bank: Bank, who: Identity, args: CardInput, key: str) -> ActionRecord:
    return await bank.unfreeze_card(who.tenant, who.customer_id, args.card_id, idempotency_key=key)


async def _report(bank: Bank, who: Identity, args: ReportCardInput, key: str) -> ActionRecord:
    return await bank.report_card(
        who.tenant, who.customer_id, args.card_id, args.reason, idempotency_key=key
    )


async def _top_up(bank: Bank, who: Identity, args: TopUpInput, key: str) -> ActionRecord:
    return await bank.top_up(
        who.tenant,
        who.customer_id,
        args.account_id,
        args.amount_minor,
        args.source,
        idempotency_key=key,
    )


async def _dispute(bank: Bank, who: Identity, args: DisputeInput, key: str) -> ActionRecord:
    return await bank.open_dispute(
        who.tenant, who.customer_id, args.transaction_id, args.reason, idempotency_key=key
    )


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("freeze_card", "cards", "Freeze a card until the customer unfreezes it.",
               CardInput, _freeze),
        Action("unfreeze_card", "cards", "Unfreeze a frozen card.", CardInput, _unfreeze),
        Action("report_card", "cards",
               "Block a lost or stolen card for good and post a replacement.",
               ReportCardInput, _report),
        Action("top_up", "payments", "Add money to an account from a card or wallet.",
               TopUpInput, _top_up),
        Action("open_dispute", "disputes", "Dispute a completed card payment.",
               DisputeInput, _dispute),
    )
}  # fmt: skip


def agent_of(name: str) -> str | None:
    action = ACTIONS.get(name)
    return action.agent if action else None


class InvalidAction(Exception):
    """An unknown action or arguments its schema rejects; nothing was done."""


def validate(name: str, arguments: dict[str, Any]) -> tuple[Action, _Input]:
    action = ACTIONS.get(name)
    if action is None:
        raise InvalidAction(f"unknown action {name!r}")
    try:
        return action, action.schema.model_validate(arguments)
    except ValidationError as exc:
        raise InvalidAction(f"invalid arguments for {name}: {exc.errors()}") from exc


async def perform(
    bank: Bank, who: Identity, name: str, arguments: dict[str, Any], idempotency_key: str
) -> ActionRecord:
    """Validates, then applies the action once per key (the bank records the key)."""
    action, args = validate(name, arguments)
    return await action.run(bank, who, args, idempotency_key)
