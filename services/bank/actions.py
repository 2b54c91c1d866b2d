"""Side effects applied at most once per idempotency key.

One transaction claims the key in the actions ledger, applies the effect and records its
outcome. A second call with the key finds the record and returns it (`replayed=True`);
two calls racing meet on the ledger's unique constraint, the loser rolls back and then
finds the winner's record. The same key with a different request is refused.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bank import sql
from bank.base import ActionRecord
from bank.errors import IdempotencyConflict
from bank.migrations import Tx
from bank.rows import from_row, stamp


@dataclass(frozen=True)
class ActionRequest:
    tenant: str
    customer_id: str
    idempotency_key: str
    operation: str
    subject_id: str
    arguments: tuple[tuple[str, str | int], ...] = ()

    @property
    def fingerprint(self) -> str:
        body = [self.tenant, self.customer_id, self.operation, self.subject_id, self.arguments]
        return hashlib.sha256(json.dumps(body).encode()).hexdigest()


@dataclass(frozen=True)
class Outcome:
    message: str
    changed: bool = True
    result_id: str | None = None


Effect = Callable[[Tx, datetime], Awaitable[Outcome]]

# A lost race costs one retry; more means something else keeps colliding.
ATTEMPTS = 3


async def run_once(
    transaction: Callable[[], AbstractAsyncContextManager[Tx]],
    is_duplicate: Callable[[Exception], bool],
    clock: Callable[[], datetime],
    request: ActionRequest,
    effect: Effect,
) -> ActionRecord:
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with transaction() as tx:
                stored = await tx.fetchall(
                    sql.SELECT_ACTION_BY_KEY, request.tenant, request.idempotency_key
                )
                if stored:
                    return replay(stored[0], request)
                record = await _apply(tx, clock(), request, effect)
            return record
        except Exception as exc:
            # A unique violation: another call claimed this key (or created the same
            # row) first. Start again; the next attempt sees what it committed.
            if attempt == ATTEMPTS or not is_duplicate(exc):
                raise
    raise AssertionError("unreachable")


async def _apply(tx: Tx, now: datetime, request: ActionRequest, effect: Effect) -> ActionRecord:
    action_id = new_id("act")
    await tx.execute(
        sql.CLAIM_ACTION,
        action_id,
        request.tenant,
        request.customer_id,
        request.idempotency_key,
        request.operation,
        request.subject_id,
        request.fingerprint,
        stamp(now),
    )
    outcome = await effect(tx, now)
    await tx.execute(
        sql.RECORD_OUTCOME,
        outcome.result_id,
        int(outcome.changed),
        outcome.message,
        request.tenant,
        request.idempotency_key,
    )
    return ActionRecord(
        id=action_id,
        tenant=request.tenant,
        customer_id=request.customer_id,
        idempotency_key=request.idempotency_key,
        operation=request.operation,
        subject_id=request.subject_id,
        result_id=outcome.result_id,
        changed=outcome.changed,
        message=outcome.message,
        created_at=now,
    )


def replay(row: tuple[Any, ...], request: ActionRequest) -> ActionRecord:
    *columns, request_hash = row
    if request_hash != request.fingerprint:
        # Says nothing about what the key did: it may not even be this customer's.
        raise IdempotencyConflict(
            "This confirmation was already used for a different request, so we haven't"
            " done anything. Please start the request again."
        )
    return replace(from_row(ActionRecord, columns), replayed=True)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(8)}"
