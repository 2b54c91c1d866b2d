"""Top-ups from a card or wallet: money in, at once, within the limits."""

from __future__ import annotations

from datetime import datetime, timedelta

from bank import reads, rules, sql
from bank.actions import Outcome, new_id
from bank.base import TopUp, TopUpSource, Transaction
from bank.errors import NotAllowed, NotFound
from bank.migrations import Tx
from bank.rows import params, stamp
from bank.rules import format_money

SOURCE_NAMES = {
    "debit_card": "your debit card",
    "apple_pay": "Apple Pay",
    "google_pay": "Google Pay",
}


async def top_up(
    tx: Tx,
    now: datetime,
    tenant: str,
    customer_id: str,
    account_id: str,
    amount_minor: int,
    source: TopUpSource,
) -> Outcome:
    # Credit first: on Postgres the update locks the account row, so a concurrent top-up
    # of the same account waits here and then counts this one against the daily limit.
    credited = await tx.fetchall(sql.CREDIT_ACCOUNT, amount_minor, tenant, customer_id, account_id)
    if not credited:
        if await reads.account(tx, tenant, customer_id, account_id) is None:
            raise NotFound("We couldn't find that account.")
        raise NotAllowed("That account is closed, so it can't be topped up.")
    name, currency, balance = credited[0]
    day_ago = stamp(now - timedelta(days=1))
    already = await tx.fetchall(sql.TOP_UPS_SINCE, tenant, customer_id, account_id, day_ago)
    rules.check_daily_top_ups(int(already[0][0]), amount_minor, currency)

    row = TopUp(
        tenant=tenant,
        id=new_id("tup"),
        customer_id=customer_id,
        account_id=account_id,
        amount_minor=amount_minor,
        currency=currency,
        source=source,
        status="completed",
        created_at=now,
        completed_at=now,
    )
    await tx.execute(sql.INSERT_TOP_UP, *params(row))
    entry = Transaction(
        tenant=tenant,
        id=new_id("txn"),
        customer_id=customer_id,
        account_id=account_id,
        card_id=None,
        kind="top_up",
        description=f"Top-up from {SOURCE_NAMES.get(source, source)}",
        amount_minor=amount_minor,
        currency=currency,
        status="completed",
        decline_reason=None,
        pending_reason=None,
        created_at=now,
        settled_at=now,
    )
    await tx.execute(sql.INSERT_TRANSACTION, *params(entry, exclude={"dispute_id"}))
    return Outcome(
        f"{format_money(amount_minor, currency)} from {SOURCE_NAMES.get(source, source)} has"
        f" been added to your {name}. Your balance is now {format_money(int(balance), currency)}.",
        result_id=row.id,
    )
