"""Disputing a card payment: opens a case; any refund follows the investigation."""

from __future__ import annotations

from datetime import datetime

from bank import reads, rules, sql
from bank.actions import Outcome, new_id
from bank.base import Dispute, DisputeReason
from bank.errors import NotFound
from bank.migrations import Tx
from bank.rows import params
from bank.rules import format_day, format_money


async def open_dispute(
    tx: Tx,
    now: datetime,
    tenant: str,
    customer_id: str,
    transaction_id: str,
    reason: DisputeReason,
) -> Outcome:
    txn = await reads.transaction(tx, tenant, customer_id, transaction_id)
    if txn is None:
        raise NotFound("We couldn't find that payment on your account.")
    rules.check_disputable(txn, now)
    update_by = rules.add_working_days(now.date(), rules.DISPUTE_UPDATE_WORKING_DAYS)
    dispute = Dispute(
        tenant=tenant,
        id=new_id("dsp"),
        customer_id=customer_id,
        transaction_id=transaction_id,
        reason=reason,
        status="open",
        amount_minor=-txn.amount_minor,
        currency=txn.currency,
        created_at=now,
        updated_at=now,
        expected_by=update_by,
    )
    # One dispute per payment (a unique constraint): a racing second dispute fails here,
    # and its retry is refused by check_disputable as already disputed.
    await tx.execute(sql.INSERT_DISPUTE, *params(dispute))
    return Outcome(
        f"We've opened a dispute for {format_money(dispute.amount_minor, dispute.currency)} at"
        f" {txn.description} (reference {dispute.id}). We'll contact the merchant and update"
        f" you by {format_day(update_by)}.",
        result_id=dispute.id,
    )
