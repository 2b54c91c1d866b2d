"""Reads, written once: lookups over any `Reader` (a backend, or an open transaction)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Protocol

from bank import sql
from bank.base import (
    Account,
    ActionRecord,
    Card,
    Customer,
    Dispute,
    TopUp,
    Transaction,
    TransactionStatus,
    Transfer,
    TransferStatus,
)
from bank.rows import first, from_row
from bank.rules import check_limit


class Reader(Protocol):
    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]: ...


async def card(db: Reader, tenant: str, customer_id: str, card_id: str) -> Card | None:
    return first(Card, await db.fetchall(sql.SELECT_CARD, tenant, customer_id, card_id))


async def replacement(db: Reader, tenant: str, customer_id: str, card_id: str) -> Card | None:
    return first(Card, await db.fetchall(sql.SELECT_REPLACEMENT, tenant, customer_id, card_id))


async def account(db: Reader, tenant: str, customer_id: str, account_id: str) -> Account | None:
    return first(Account, await db.fetchall(sql.SELECT_ACCOUNT, tenant, customer_id, account_id))


async def transaction(
    db: Reader, tenant: str, customer_id: str, transaction_id: str
) -> Transaction | None:
    rows = await db.fetchall(sql.SELECT_TRANSACTION, tenant, customer_id, transaction_id)
    return first(Transaction, rows)


class SharedReads(ABC):
    """The read half of `Bank`; a backend supplies `fetchall` (outside any transaction)."""

    @abstractmethod
    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]: ...

    async def get_customer(self, tenant: str, customer_id: str) -> Customer | None:
        return first(Customer, await self.fetchall(sql.SELECT_CUSTOMER, tenant, customer_id))

    async def list_accounts(self, tenant: str, customer_id: str) -> list[Account]:
        rows = await self.fetchall(sql.SELECT_ACCOUNTS, tenant, customer_id)
        return [from_row(Account, row) for row in rows]

    async def get_account(self, tenant: str, customer_id: str, account_id: str) -> Account | None:
        return await account(self, tenant, customer_id, account_id)

    async def list_cards(self, tenant: str, customer_id: str) -> list[Card]:
        rows = await self.fetchall(sql.SELECT_CARDS, tenant, customer_id)
        return [from_row(Card, row) for row in rows]

    async def get_card(self, tenant: str, customer_id: str, card_id: str) -> Card | None:
        return await card(self, tenant, customer_id, card_id)

    async def list_transactions(
        self,
        tenant: str,
        customer_id: str,
        *,
        account_id: str | None = None,
        status: TransactionStatus | None = None,
        limit: int = 20,
    ) -> list[Transaction]:
        query, params = sql.SELECT_TRANSACTIONS, [tenant, customer_id]
        if account_id is not None:
            query, params = query + " AND t.account_id = %s", [*params, account_id]
        if status is not None:
            query, params = query + " AND t.status = %s", [*params, status]
        rows = await self.fetchall(query + sql.TRANSACTIONS_ORDER, *params, check_limit(limit))
        return [from_row(Transaction, row) for row in rows]

    async def get_transaction(
        self, tenant: str, customer_id: str, transaction_id: str
    ) -> Transaction | None:
        return await transaction(self, tenant, customer_id, transaction_id)

    async def list_transfers(
        self,
        tenant: str,
        customer_id: str,
        *,
        status: TransferStatus | None = None,
        limit: int = 20,
    ) -> list[Transfer]:
        query, params = sql.SELECT_TRANSFERS, [tenant, customer_id]
        if status is not None:
            query, params = query + " AND status = %s", [*params, status]
        rows = await self.fetchall(query + sql.NEWEST_FIRST, *params, check_limit(limit))
        return [from_row(Transfer, row) for row in rows]

    async def get_transfer(
        self, tenant: str, customer_id: str, transfer_id: str
    ) -> Transfer | None:
        rows = await self.fetchall(sql.SELECT_TRANSFER, tenant, customer_id, transfer_id)
        return first(Transfer, rows)

    async def list_top_ups(self, tenant: str, customer_id: str, *, limit: int = 20) -> list[TopUp]:
        rows = await self.fetchall(sql.SELECT_TOP_UPS, tenant, customer_id, check_limit(limit))
        return [from_row(TopUp, row) for row in rows]

    async def get_top_up(self, tenant: str, customer_id: str, top_up_id: str) -> TopUp | None:
        return first(TopUp, await self.fetchall(sql.SELECT_TOP_UP, tenant, customer_id, top_up_id))

    async def list_disputes(self, tenant: str, customer_id: str) -> list[Dispute]:
        rows = await self.fetchall(sql.SELECT_DISPUTES, tenant, customer_id)
        return [from_row(Dispute, row) for row in rows]

    async def get_dispute(self, tenant: str, customer_id: str, dispute_id: str) -> Dispute | None:
        rows = await self.fetchall(sql.SELECT_DISPUTE, tenant, customer_id, dispute_id)
        return first(Dispute, rows)

    async def get_action(
        self, tenant: str, customer_id: str, idempotency_key: str
    ) -> ActionRecord | None:
        rows = await self.fetchall(sql.SELECT_ACTION, tenant, customer_id, idempotency_key)
        return first(ActionRecord, rows)

    async def ping(self) -> bool:
        try:
            await self.fetchall("SELECT 1")
        except Exception:
            return False
        return True
