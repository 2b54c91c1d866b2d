"""Demo customers whose situations exercise every flow the desk's agents handle.

Ids are stable, so docs and tests can name them; dates are relative to the moment of
seeding, so the story is current on a fresh database. Seeding inserts only missing rows:
it never undoes what a demo did (a card frozen stays frozen) and is safe on every start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bank.base import (
    Account,
    AccountKind,
    Bank,
    Card,
    CardKind,
    CardStatus,
    Customer,
    Dataset,
    DeclineReason,
    Dispute,
    PendingReason,
    TopUp,
    Transaction,
    TransactionKind,
    TransactionStatus,
    Transfer,
    TransferReason,
    TransferStatus,
    utcnow,
)
from bank.rules import add_working_days

TENANT = "harbor"
OTHER_TENANT = "acme"

EVERYDAY_SPENDING = (
    ("Pret A Manger", 645),
    ("Tesco", 2_318),
    ("TfL Travel", 280),
    ("Spotify", 1_199),
    ("Amazon", 3_499),
    ("Sainsbury's", 4_150),
    ("Deliveroo", 2_260),
    ("Boots", 899),
    ("Shell", 5_600),
    ("Waterstones", 1_299),
    ("Uber", 1_420),
    ("Costa Coffee", 385),
)


@dataclass(frozen=True)
class DemoCustomer:
    tenant: str
    customer_id: str
    name: str
    situation: str


DEMO_CUSTOMERS = (
    DemoCustomer(
        TENANT,
        "cus_alice",
        "Alice Moreno",
        "Reported her debit card lost (card_alice_old); the replacement card_alice_new is in"
        " the post, due in a few days. Her virtual card works meanwhile.",
    ),
    DemoCustomer(
        TENANT,
        "cus_ben",
        "Ben Carter",
        "Froze his debit card (card_ben_debit) yesterday; a café payment was then declined"
        " because the card is frozen (txn_ben_declined).",
    ),
    DemoCustomer(
        TENANT,
        "cus_chloe",
        "Chloe Davies",
        "Her rent transfer trf_chloe_rent is pending a security check; trf_chloe_failed"
        " failed (wrong details), trf_chloe_returned came back (account closed); a bank"
        " transfer top-up (tup_chloe_pending) is on its way.",
    ),
    DemoCustomer(
        TENANT,
        "cus_dev",
        "Dev Shah",
        "A Currys payment was declined for insufficient funds (txn_dev_currys), another"
        " stopped by fraud checks (txn_dev_fraud); a hotel hold is pending (txn_dev_hotel).",
    ),
    DemoCustomer(
        TENANT,
        "cus_erin",
        "Erin Walsh",
        "Charged by StreamFlix after cancelling (txn_erin_streamflix, disputable); a dispute"
        " about QuickShip (dsp_erin_quickship) has a refund on its way; txn_erin_old is past"
        " the dispute window and txn_erin_pending still pending.",
    ),
    DemoCustomer(
        OTHER_TENANT,
        "cus_alice",
        "Alice Novak",
        "Another bank's customer with the same customer id as Harbor's Alice: her rows and"
        " Harbor's never mix.",
    ),
)


def demo_customers() -> list[DemoCustomer]:
    """Who can be signed in as in the demo (for the token CLI and the docs)."""
    return list(DEMO_CUSTOMERS)


async def seed(bank: Bank, now: datetime | None = None) -> int:
    """Insert the demo rows that are missing; returns how many were new (0 on a re-run)."""
    return await bank.load(demo_dataset(now or utcnow()))


@dataclass
class _Builder:
    now: datetime
    customers: list[Customer] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    transactions: list[Transaction] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)
    top_ups: list[TopUp] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.now.date()

    def ago(self, days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours, minutes=minutes)

    def customer(self, tenant: str, customer_id: str, email: str) -> None:
        name = next(
            d.name for d in DEMO_CUSTOMERS if (d.tenant, d.customer_id) == (tenant, customer_id)
        )
        self.customers.append(Customer(tenant, customer_id, name, email, self.ago(days=1_100)))

    def account(
        self,
        owner: Customer,
        account_id: str,
        balance_minor: int,
        last4: str,
        name: str = "Current account",
        currency: str = "GBP",
    ) -> None:
        kind: AccountKind = "savings" if "Savings" in name else "current"
        self.accounts.append(
            Account(
                owner.tenant,
                account_id,
                owner.id,
                name,
                kind,
                currency,
                balance_minor,
                last4,
                "open",
                self.ago(days=1_100),
            )
        )

    def card(
        self,
        account: Account,
        card_id: str,
        last4: str,
        status: CardStatus = "active",
        kind: CardKind = "physical",
        changed_days_ago: float = 300,
        issued_days_ago: float = 700,
        **delivery: Any,
    ) -> None:
        card = Card(
            account.tenant,
            card_id,
            account.customer_id,
            account.id,
            last4,
            kind,
            status,
            f"{self.now.year + 2}-{self.now.month:02d}",
            issued_at=self.ago(days=issued_days_ago),
            status_changed_at=self.ago(days=changed_days_ago),
        )
        # Delivery tracking of a card in the post: dispatched_at, expected_by, ...
        self.cards.append(replace(card, **delivery))

    def transaction(
        self,
        account: Account,
        transaction_id: str,
        description: str,
        amount_minor: int,
        at: datetime,
        kind: TransactionKind = "card_payment",
        card_id: str | None = None,
        status: TransactionStatus = "completed",
        decline_reason: DeclineReason | None = None,
        pending_reason: PendingReason | None = None,
    ) -> None:
        settled = at + timedelta(days=1) if status == "completed" else None
        self.transactions.append(
            Transaction(
                account.tenant,
                transaction_id,
                account.customer_id,
                account.id,
                card_id,
                kind,
                description,
                amount_minor,
                account.currency,
                status,
                decline_reason,
                pending_reason,
                at,
                settled_at=min(settled, self.now) if settled else None,
            )
        )

    def everyday(self, account: Account, card_id: str, who: str, offset: int, since: int) -> None:
        """Seven completed card payments every three days from `since` days ago, and pay."""
        for n in range(7):
            merchant, amount = EVERYDAY_SPENDING[(offset + n) % len(EVERYDAY_SPENDING)]
            at = self.ago(days=since + 3 * n, hours=offset)
            self.transaction(
                account, f"txn_{who}_{n + 1:02d}", merchant, -amount, at, card_id=card_id
            )
        self.transaction(
            account,
            f"txn_{who}_salary",
            "Salary: Northwind Ltd",
            250_000,
            self.ago(days=since + 20),
            kind="transfer_in",
        )

    def owner(self, tenant: str, customer_id: str) -> Customer:
        return next(c for c in self.customers if (c.tenant, c.id) == (tenant, customer_id))

    def account_row(self, account_id: str, tenant: str = TENANT) -> Account:
        return next(a for a in self.accounts if (a.tenant, a.id) == (tenant, account_id))

    def dataset(self) -> Dataset:
        return Dataset(
            tuple(self.customers),
            tuple(self.accounts),
            tuple(self.cards),
            tuple(self.transactions),
            tuple(self.transfers),
            tuple(self.top_ups),
            tuple(self.disputes),
        )


def demo_dataset(now: datetime) -> Dataset:
    b = _Builder(now)
    _alice(b)
    _ben(b)
    _chloe(b)
    _dev(b)
    _erin(b)
    _acme_alice(b)
    return b.dataset()


def _alice(b: _Builder) -> None:
    """(a) A replacement card in the post."""
    b.customer(TENANT, "cus_alice", "alice@example.com")
    alice = b.owner(TENANT, "cus_alice")
    b.account(alice, "acc_alice_current", 124_018, "4410")
    b.account(alice, "acc_alice_savings", 520_000, "7781", name="Savings")
    current = b.account_row("acc_alice_current")
    b.card(current, "card_alice_old", "1934", status="lost", changed_days_ago=2)
    dispatched = b.ago(days=2)
    b.card(
        current,
        "card_alice_new",
        "5203",
        status="in_post",
        changed_days_ago=2,
        issued_days_ago=2,
        replaces_card_id="card_alice_old",
        dispatched_at=dispatched,
        expected_by=add_working_days(dispatched.date(), 3),
        delivery_status="dispatched",
    )
    b.card(current, "card_alice_virtual", "8842", kind="virtual")
    b.everyday(current, "card_alice_old", "alice", offset=0, since=3)


def _ben(b: _Builder) -> None:
    """(b) A frozen card, and a payment declined because of it."""
    b.customer(TENANT, "cus_ben", "ben@example.com")
    b.account(b.owner(TENANT, "cus_ben"), "acc_ben_current", 86_412, "2290")
    current = b.account_row("acc_ben_current")
    b.card(current, "card_ben_debit", "7731", status="frozen", changed_days_ago=1)
    b.everyday(current, "card_ben_debit", "ben", offset=2, since=2)
    b.transaction(
        current,
        "txn_ben_declined",
        "Corner Café",
        -385,
        b.ago(hours=3),
        card_id="card_ben_debit",
        status="declined",
        decline_reason="card_frozen",
    )


def _chloe(b: _Builder) -> None:
    """(c) A pending transfer, a failed one and a returned one; a pending top-up."""
    b.customer(TENANT, "cus_chloe", "chloe@example.com")
    b.account(b.owner(TENANT, "cus_chloe"), "acc_chloe_current", 312_055, "6032")
    current = b.account_row("acc_chloe_current")
    b.card(current, "card_chloe_debit", "4517")
    b.everyday(current, "card_chloe_debit", "chloe", offset=4, since=1)

    def transfer(
        transfer_id: str,
        name: str,
        last4: str,
        amount: int,
        reference: str,
        at: datetime,
        status: TransferStatus = "completed",
        reason: TransferReason | None = None,
        expected_by: date | None = None,
    ) -> None:
        done = at if status == "completed" else None
        b.transfers.append(
            Transfer(
                TENANT, transfer_id, "cus_chloe", current.id, name, last4, amount, "GBP",
                reference, status, reason, at, expected_by, done,
            )
        )  # fmt: skip

    rent_at, mum_at, gym_at = b.ago(hours=5), b.ago(days=10), b.ago(days=6)
    tomorrow = add_working_days(b.today, 1)
    transfer(
        "trf_chloe_rent", "Sam Patel", "2291", 95_000, "Rent", rent_at, "pending",
        "fraud_check", tomorrow,
    )  # fmt: skip
    transfer(
        "trf_chloe_failed", "Jordan Fox", "0042", 12_000, "Tickets", b.ago(days=3), "failed",
        "recipient_details_invalid",
    )  # fmt: skip
    transfer(
        "trf_chloe_returned", "Oak Street Gym", "7810", 4_500, "Membership", gym_at, "returned",
        "recipient_account_closed",
    )  # fmt: skip
    transfer("trf_chloe_mum", "Mum", "5521", 6_000, "Birthday", mum_at)
    out: TransactionKind = "transfer_out"
    b.transaction(
        current, "txn_chloe_rent", "Transfer to Sam Patel", -95_000, rent_at, kind=out,
        status="pending", pending_reason="processing",
    )  # fmt: skip
    b.transaction(current, "txn_chloe_mum", "Transfer to Mum", -6_000, mum_at, kind=out)
    b.transaction(current, "txn_chloe_gym", "Transfer to Oak Street Gym", -4_500, gym_at, kind=out)
    b.transaction(
        current, "txn_chloe_gym_back", "Returned: Oak Street Gym", 4_500, b.ago(days=5),
        kind="transfer_in",
    )  # fmt: skip
    b.top_ups += [
        TopUp(
            TENANT, "tup_chloe_pending", "cus_chloe", current.id, 20_000, "GBP",
            "bank_transfer", "pending", b.ago(minutes=40),
        ),
        TopUp(
            TENANT, "tup_chloe_card", "cus_chloe", current.id, 5_000, "GBP",
            "debit_card", "completed", b.ago(days=8), completed_at=b.ago(days=8),
        ),
    ]  # fmt: skip
    b.transaction(
        current, "txn_chloe_topup", "Top-up from your debit card", 5_000, b.ago(days=8),
        kind="top_up",
    )  # fmt: skip


def _dev(b: _Builder) -> None:
    """(d) Declined card payments with their reasons, and a pending hotel hold."""
    b.customer(TENANT, "cus_dev", "dev@example.com")
    b.account(b.owner(TENANT, "cus_dev"), "acc_dev_current", 21_240, "3158")
    current = b.account_row("acc_dev_current")
    b.card(current, "card_dev_debit", "6620")
    b.everyday(current, "card_dev_debit", "dev", offset=6, since=3)
    card = "card_dev_debit"
    b.transaction(
        current, "txn_dev_currys", "Currys", -64_900, b.ago(days=1), card_id=card,
        status="declined", decline_reason="insufficient_funds",
    )  # fmt: skip
    b.transaction(
        current, "txn_dev_fraud", "Nordic Outlet Online", -34_999, b.ago(days=2), card_id=card,
        status="declined", decline_reason="suspected_fraud",
    )  # fmt: skip
    b.transaction(
        current, "txn_dev_hotel", "Premier Inn", -12_000, b.ago(days=1, hours=4), card_id=card,
        status="pending", pending_reason="pre_authorisation",
    )  # fmt: skip


def _erin(b: _Builder) -> None:
    """(e) A disputable payment, one already disputed with a refund on its way, one too old."""
    b.customer(TENANT, "cus_erin", "erin@example.com")
    b.account(b.owner(TENANT, "cus_erin"), "acc_erin_current", 154_300, "8804")
    current = b.account_row("acc_erin_current")
    card = "card_erin_debit"
    b.card(current, card, "3391")
    b.everyday(current, card, "erin", offset=8, since=4)
    b.transaction(current, "txn_erin_streamflix", "StreamFlix", -1_599, b.ago(days=9), card_id=card)
    b.transaction(
        current, "txn_erin_quickship", "QuickShip Electronics", -8_900, b.ago(days=30), card_id=card
    )
    b.transaction(current, "txn_erin_old", "Sunny Travel", -45_000, b.ago(days=200), card_id=card)
    b.transaction(
        current, "txn_erin_pending", "Corner Café", -450, b.ago(hours=2), card_id=card,
        status="pending", pending_reason="awaiting_merchant",
    )  # fmt: skip
    b.disputes.append(
        Dispute(
            TENANT, "dsp_erin_quickship", "cus_erin", "txn_erin_quickship", "not_received",
            "refund_pending", 8_900, "GBP", created_at=b.ago(days=20), updated_at=b.ago(days=2),
            expected_by=add_working_days(b.today, 3),
        )
    )  # fmt: skip


def _acme_alice(b: _Builder) -> None:
    """Another tenant's customer, with the same customer id as Harbor's Alice."""
    b.customer(OTHER_TENANT, "cus_alice", "alice.novak@example.org")
    alice = b.owner(OTHER_TENANT, "cus_alice")
    b.account(alice, "acc_acme_alice", 98_000, "1200", currency="EUR")
    current = b.account_row("acc_acme_alice", OTHER_TENANT)
    b.card(current, "card_acme_alice", "2468")
    for n, (merchant, amount) in enumerate(EVERYDAY_SPENDING[:3], start=1):
        b.transaction(
            current, f"txn_acme_alice_{n:02d}", merchant, -amount, b.ago(days=2 * n),
            card_id="card_acme_alice",
        )  # fmt: skip
