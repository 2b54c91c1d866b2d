"""The bank's rows and the `Bank` interface the desk's specialist agents call as tools.

Every read and write takes the authenticated `tenant` and `customer_id` (from the
request, never from a model) and only ever sees that customer's rows: another
customer's card is indistinguishable from a card that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal, Protocol

from bank.reasons import DECLINE_REASONS, PENDING_REASONS, TRANSFER_REASONS, explain

AccountKind = Literal["current", "savings"]
AccountStatus = Literal["open", "closed"]
CardKind = Literal["physical", "virtual"]
CardStatus = Literal["in_post", "active", "frozen", "lost", "stolen", "cancelled"]
DeliveryStatus = Literal["dispatched", "out_for_delivery", "delivered", "returned_to_sender"]
ReportReason = Literal["lost", "stolen"]
TransactionKind = Literal["card_payment", "transfer_in", "transfer_out", "top_up", "refund", "fee"]
TransactionStatus = Literal["pending", "completed", "declined"]
DeclineReason = Literal[
    "insufficient_funds",
    "merchant_blocked",
    "card_frozen",
    "suspected_fraud",
    "incorrect_pin",
    "card_expired",
    "limit_exceeded",
]
PendingReason = Literal["awaiting_merchant", "pre_authorisation", "processing"]
TransferStatus = Literal["pending", "completed", "failed", "returned"]
TransferReason = Literal[
    "fraud_check",
    "scheduled",
    "processing",
    "recipient_details_invalid",
    "insufficient_funds",
    "limit_exceeded",
    "recipient_account_closed",
    "recipient_name_mismatch",
]
TopUpSource = Literal["debit_card", "apple_pay", "google_pay", "bank_transfer"]
TopUpStatus = Literal["pending", "completed", "failed"]
DisputeReason = Literal[
    "not_recognised", "not_received", "wrong_amount", "duplicate_charge", "cancelled_subscription"
]
DisputeStatus = Literal["open", "investigating", "refund_pending", "refunded", "rejected"]
RefundStatus = Literal["not_decided", "pending", "refunded", "declined"]


@dataclass(frozen=True)
class Customer:
    tenant: str
    id: str
    name: str
    email: str
    created_at: datetime


@dataclass(frozen=True)
class Account:
    tenant: str
    id: str
    customer_id: str
    name: str
    kind: AccountKind
    currency: str
    balance_minor: int
    number_last4: str
    status: AccountStatus
    opened_at: datetime


@dataclass(frozen=True)
class Card:
    tenant: str
    id: str
    customer_id: str
    account_id: str
    last4: str
    kind: CardKind
    status: CardStatus
    expires: str  # YYYY-MM
    issued_at: datetime
    status_changed_at: datetime
    replaces_card_id: str | None = None
    dispatched_at: datetime | None = None
    expected_by: date | None = None
    delivery_status: DeliveryStatus | None = None
    delivered_at: datetime | None = None

    @property
    def label(self) -> str:
        return f"{'virtual ' if self.kind == 'virtual' else ''}card ending {self.last4}"


@dataclass(frozen=True)
class Transaction:
    """Money in (positive) or out (negative) of an account; declined ones moved nothing."""

    tenant: str
    id: str
    customer_id: str
    account_id: str
    card_id: str | None
    kind: TransactionKind
    description: str
    amount_minor: int
    currency: str
    status: TransactionStatus
    decline_reason: DeclineReason | None
    pending_reason: PendingReason | None
    created_at: datetime
    settled_at: datetime | None = None
    # Not a column of its own: joined from disputes when read.
    dispute_id: str | None = None

    @property
    def explanation(self) -> str | None:
        """Why it is declined or pending, in words for the customer."""
        if self.decline_reason is not None:
            return explain(DECLINE_REASONS, self.decline_reason)
        return explain(PENDING_REASONS, self.pending_reason)


@dataclass(frozen=True)
class Transfer:
    """An outgoing bank transfer; only the last four digits of the recipient are kept."""

    tenant: str
    id: str
    customer_id: str
    account_id: str
    recipient_name: str
    recipient_account_last4: str
    amount_minor: int
    currency: str
    reference: str
    status: TransferStatus
    reason: TransferReason | None
    created_at: datetime
    expected_by: date | None = None
    completed_at: datetime | None = None

    @property
    def recipient_account(self) -> str:
        return f"••••{self.recipient_account_last4}"

    @property
    def explanation(self) -> str | None:
        """Why it is pending, failed or returned, in words for the customer."""
        return explain(TRANSFER_REASONS, self.reason)


@dataclass(frozen=True)
class TopUp:
    tenant: str
    id: str
    customer_id: str
    account_id: str
    amount_minor: int
    currency: str
    source: TopUpSource
    status: TopUpStatus
    created_at: datetime
    completed_at: datetime | None = None


@dataclass(frozen=True)
class Dispute:
    tenant: str
    id: str
    customer_id: str
    transaction_id: str
    reason: DisputeReason
    status: DisputeStatus
    amount_minor: int
    currency: str
    created_at: datetime
    updated_at: datetime
    expected_by: date | None = None
    refunded_at: datetime | None = None

    @property
    def refund_status(self) -> RefundStatus:
        if self.status == "refunded":
            return "refunded"
        if self.status == "refund_pending":
            return "pending"
        if self.status == "rejected":
            return "declined"
        return "not_decided"


@dataclass(frozen=True)
class ActionRecord:
    """The recorded outcome of one side effect, returned again for a replayed key.

    `changed` is False for a no-op (freezing a card that is already frozen): the
    customer's intent already holds. `result_id` names what the action created
    (the replacement card, the top-up, the dispute).
    """

    id: str
    tenant: str
    customer_id: str
    idempotency_key: str
    operation: str
    subject_id: str
    result_id: str | None
    changed: bool
    message: str
    created_at: datetime
    replayed: bool = False


@dataclass(frozen=True)
class Dataset:
    """Rows to load as they are (seed data, test fixtures); parents before children."""

    customers: tuple[Customer, ...] = ()
    accounts: tuple[Account, ...] = ()
    cards: tuple[Card, ...] = ()
    transactions: tuple[Transaction, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    top_ups: tuple[TopUp, ...] = ()
    disputes: tuple[Dispute, ...] = ()


class Bank(Protocol):
    """Reads return None (or nothing) for rows the customer does not own; side effects
    raise `bank.errors.NotFound` for them. Every side effect takes an idempotency key and
    returns an `ActionRecord`; the same key always returns the first outcome."""

    backend: str

    async def setup(self) -> None:
        """Connect and apply pending migrations."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...

    async def load(self, dataset: Dataset) -> int:
        """Insert rows that are not there yet; returns how many were new. Seeding only."""
        ...

    # Customers and accounts.
    async def get_customer(self, tenant: str, customer_id: str) -> Customer | None: ...

    async def list_accounts(self, tenant: str, customer_id: str) -> list[Account]: ...

    async def get_account(
        self, tenant: str, customer_id: str, account_id: str
    ) -> Account | None: ...

    # Cards.
    async def list_cards(self, tenant: str, customer_id: str) -> list[Card]: ...

    async def get_card(self, tenant: str, customer_id: str, card_id: str) -> Card | None: ...

    async def freeze_card(
        self, tenant: str, customer_id: str, card_id: str, *, idempotency_key: str
    ) -> ActionRecord: ...

    async def unfreeze_card(
        self, tenant: str, customer_id: str, card_id: str, *, idempotency_key: str
    ) -> ActionRecord: ...

    async def report_card(
        self,
        tenant: str,
        customer_id: str,
        card_id: str,
        reason: ReportReason,
        *,
        idempotency_key: str,
    ) -> ActionRecord:
        """Block the card for good and send a replacement (`result_id`) in the post."""
        ...

    # Transactions.
    async def list_transactions(
        self,
        tenant: str,
        customer_id: str,
        *,
        account_id: str | None = None,
        status: TransactionStatus | None = None,
        limit: int = 20,
    ) -> list[Transaction]:
        """Newest first."""
        ...

    async def get_transaction(
        self, tenant: str, customer_id: str, transaction_id: str
    ) -> Transaction | None: ...

    # Transfers and top-ups.
    async def list_transfers(
        self,
        tenant: str,
        customer_id: str,
        *,
        status: TransferStatus | None = None,
        limit: int = 20,
    ) -> list[Transfer]: ...

    async def get_transfer(
        self, tenant: str, customer_id: str, transfer_id: str
    ) -> Transfer | None: ...

    async def list_top_ups(
        self, tenant: str, customer_id: str, *, limit: int = 20
    ) -> list[TopUp]: ...

    async def get_top_up(self, tenant: str, customer_id: str, top_up_id: str) -> TopUp | None: ...

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
        """Add money from a card or wallet; `result_id` is the top-up."""
        ...

    # Disputes.
    async def list_disputes(self, tenant: str, customer_id: str) -> list[Dispute]: ...

    async def get_dispute(
        self, tenant: str, customer_id: str, dispute_id: str
    ) -> Dispute | None: ...

    async def open_dispute(
        self,
        tenant: str,
        customer_id: str,
        transaction_id: str,
        reason: DisputeReason,
        *,
        idempotency_key: str,
    ) -> ActionRecord:
        """Dispute a completed card payment; `result_id` is the dispute."""
        ...

    # The actions ledger.
    async def get_action(
        self, tenant: str, customer_id: str, idempotency_key: str
    ) -> ActionRecord | None:
        """What a key already did, if anything (for a confirmation resumed after a crash)."""
        ...


def utcnow() -> datetime:
    return datetime.now(UTC)
