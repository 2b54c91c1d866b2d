"""The side effects of `Bank`, written once: validate, then apply once per idempotency key."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any, Protocol

from bank import cards, disputes, rules, sql, topups
from bank.actions import ActionRequest, Effect, Outcome, run_once
from bank.base import (
    ActionRecord,
    Card,
    Dataset,
    DisputeReason,
    ReportReason,
    TopUpSource,
    utcnow,
)
from bank.migrations import Tx
from bank.reads import SharedReads
from bank.rows import params


class BankTx(Tx, Protocol):
    async def executemany(self, query: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run a statement once per row (pipelined where the driver can); rows changed."""
        ...


class SharedWrites(SharedReads):
    """A backend connects and migrates, opens transactions and recognises a unique violation."""

    backend: str

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock

    @abstractmethod
    async def setup(self) -> None:
        """Connect and apply pending migrations."""

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[BankTx]:
        """Commits on a clean exit, rolls back on an exception."""

    @abstractmethod
    def exclusive(self) -> AbstractAsyncContextManager[BankTx]:
        """A transaction no other migrating process runs at once (see bank.migrations)."""

    @abstractmethod
    def is_duplicate(self, exc: Exception) -> bool:
        """Whether `exc` is a unique-constraint violation."""

    async def _once(self, request: ActionRequest, effect: Effect) -> ActionRecord:
        rules.check_idempotency_key(request.idempotency_key)
        return await run_once(self.transaction, self.is_duplicate, self._clock, request, effect)

    async def freeze_card(
        self, tenant: str, customer_id: str, card_id: str, *, idempotency_key: str
    ) -> ActionRecord:
        request = ActionRequest(tenant, customer_id, idempotency_key, "freeze_card", card_id)

        async def effect(tx: Tx, now: datetime) -> Outcome:
            return await cards.freeze(tx, now, tenant, customer_id, card_id)

        return await self._once(request, effect)

    async def unfreeze_card(
        self, tenant: str, customer_id: str, card_id: str, *, idempotency_key: str
    ) -> ActionRecord:
        request = ActionRequest(tenant, customer_id, idempotency_key, "unfreeze_card", card_id)

        async def effect(tx: Tx, now: datetime) -> Outcome:
            return await cards.unfreeze(tx, now, tenant, customer_id, card_id)

        return await self._once(request, effect)

    async def report_card(
        self,
        tenant: str,
        customer_id: str,
        card_id: str,
        reason: ReportReason,
        *,
        idempotency_key: str,
    ) -> ActionRecord:
        checked = rules.check_report_reason(reason)
        request = ActionRequest(
            tenant, customer_id, idempotency_key, "report_card", card_id, (("reason", checked),)
        )

        async def effect(tx: Tx, now: datetime) -> Outcome:
            return await cards.report(tx, now, tenant, customer_id, card_id, checked)

        return await self._once(request, effect)

    async def top_up(
        self,
        tenant: str,
        customer_id: str,
        account_id: str,
        amount_minor: int,
        source: TopUpSource,
        *,
        idempotency_key: str,
    ) -> ActionRecord:
        checked = rules.check_top_up(amount_minor, source)
        request = ActionRequest(
            tenant,
            customer_id,
            idempotency_key,
            "top_up",
            account_id,
            (("amount_minor", amount_minor), ("source", checked)),
        )

        async def effect(tx: Tx, now: datetime) -> Outcome:
            return await topups.top_up(
                tx, now, tenant, customer_id, account_id, amount_minor, checked
            )

        return await self._once(request, effect)

    async def open_dispute(
        self,
        tenant: str,
        customer_id: str,
        transaction_id: str,
        reason: DisputeReason,
        *,
        idempotency_key: str,
    ) -> ActionRecord:
        checked = rules.check_dispute_reason(reason)
        request = ActionRequest(
            tenant,
            customer_id,
            idempotency_key,
            "open_dispute",
            transaction_id,
            (("reason", checked),),
        )

        async def effect(tx: Tx, now: datetime) -> Outcome:
            return await disputes.open_dispute(
                tx, now, tenant, customer_id, transaction_id, checked
            )

        return await self._once(request, effect)

    async def load(self, dataset: Dataset) -> int:
        """Insert the rows that are not there yet (by primary key), in one transaction."""
        tables = (
            (sql.INSERT_CUSTOMER, dataset.customers, ()),
            (sql.INSERT_ACCOUNT, dataset.accounts, ()),
            (sql.INSERT_CARD, _replaced_first(dataset.cards), ()),
            (sql.INSERT_TRANSACTION, dataset.transactions, ("dispute_id",)),
            (sql.INSERT_TRANSFER, dataset.transfers, ()),
            (sql.INSERT_TOP_UP, dataset.top_ups, ()),
            (sql.INSERT_DISPUTE, dataset.disputes, ()),
        )
        inserted = 0
        async with self.transaction() as tx:
            for statement, rows, exclude in tables:
                if rows:
                    values = [params(row, exclude) for row in rows]
                    inserted += await tx.executemany(statement + sql.IF_NEW, values)
        return inserted


def _replaced_first(cards: tuple[Card, ...]) -> list[Card]:
    """A replacement card refers to the card it replaces, so that one goes in first."""
    ordered: list[Card] = []
    placed: set[str] = set()
    waiting = list(cards)
    while waiting:
        ready = [c for c in waiting if c.replaces_card_id is None or c.replaces_card_id in placed]
        if not ready:  # replaces a card already stored, or a dangling reference: let FKs judge
            ready = waiting
        ordered += ready
        placed.update(c.id for c in ready)
        waiting = [c for c in waiting if c.id not in placed]
    return ordered
