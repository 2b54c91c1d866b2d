"""The bank's contract, run against the embedded SQLite default and a real Postgres.

Each test gets a fresh database (a SQLite file, or a Postgres schema of the session's
server) holding the seeded demo customers, and a clock it controls.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from bank import (
    Account,
    ActionRecord,
    BankError,
    Card,
    Dispute,
    IdempotencyConflict,
    InvalidRequest,
    LimitExceeded,
    NotAllowed,
    NotFound,
    TopUp,
    Transaction,
    Transfer,
    demo_customers,
    seed,
)
from bank.migrations import (
    COMPONENT,
    MIGRATIONS,
    Migration,
    MigrationError,
    SchemaTooNew,
    migrate,
    schema_version,
)
from bank.postgres import PostgresBank
from bank.rules import DAILY_TOP_UP_MINOR, MAX_TOP_UP_MINOR
from bank.sqlite import SqliteBank
from bank.writes import SharedWrites

H = "harbor"
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)  # a Wednesday


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


Opener = Callable[[], SharedWrites]
TABLES = ("actions", "disputes", "top_ups", "transfers", "transactions", "cards", "accounts")
# Postgres: one migrated schema per server for the seeded tests (migrating costs more than
# a test), emptied and re-seeded for each; migration tests get schemas of their own.
_shared_schemas: dict[str, str] = {}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _new_schema(url: str) -> str:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    return schema


def _opener(
    backend: str, request: pytest.FixtureRequest, path: Path, clock: Clock, shared: bool
) -> Opener:
    if backend == "sqlite":
        return lambda: SqliteBank(path, clock=clock)
    url: str = request.getfixturevalue("postgres_url")
    schema = _shared_schemas.setdefault(url, _new_schema(url)) if shared else _new_schema(url)
    conninfo = make_conninfo(url, options=f"-c search_path={schema}")
    # Enough open connections that concurrent calls really overlap in the server.
    return lambda: PostgresBank(conninfo, min_size=2, clock=clock)


@pytest.fixture
def fresh(backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Opener:
    """Opens connections to an empty database of this test's own."""
    return _opener(backend, request, tmp_path / "fresh.sqlite", clock, shared=False)


@pytest.fixture
def seeded(backend: str, request: pytest.FixtureRequest, tmp_path: Path, clock: Clock) -> Opener:
    """Opens connections to the database `bank` holds the demo customers in."""
    return _opener(backend, request, tmp_path / "bank.sqlite", clock, shared=True)


@pytest.fixture
async def bank(seeded: Opener, clock: Clock) -> AsyncIterator[SharedWrites]:
    store = seeded()
    await store.setup()
    async with store.transaction() as tx:
        for table in (*TABLES, "customers"):
            await tx.execute(f"DELETE FROM {table}")
    assert await seed(store, clock.now) > 0
    yield store
    await store.close()


@pytest.fixture
async def other(bank: SharedWrites, seeded: Opener) -> AsyncIterator[SharedWrites]:
    """A second connection to the same database, as another process of the desk would have."""
    store = seeded()
    await store.setup()
    yield store
    await store.close()


def key() -> str:
    return uuid.uuid4().hex


async def count(store: SharedWrites, table: str, where: str = "", *params: object) -> int:
    rows = await store.fetchall(f"SELECT COUNT(*) FROM {table} {where}", *params)
    return int(rows[0][0])


# Migrations.


async def test_migrations_apply_once_and_record_their_versions(
    bank: SharedWrites, seeded: Opener
) -> None:
    assert await schema_version(bank, COMPONENT) == MIGRATIONS[-1].version
    assert await migrate(bank, COMPONENT, MIGRATIONS) == []
    again = seeded()
    await again.setup()  # a restart: nothing to apply, nothing lost
    await again.close()
    assert await count(bank, "schema_migrations") == len(MIGRATIONS)
    assert await bank.get_customer(H, "cus_alice") is not None


async def test_two_processes_starting_at_once_migrate_once(fresh: Opener) -> None:
    first, second = fresh(), fresh()
    try:
        await asyncio.gather(first.setup(), second.setup())
        assert await count(first, "schema_migrations") == len(MIGRATIONS)
        assert await seed(first, NOW) > 0
        assert await second.get_customer(H, "cus_ben") is not None
    finally:
        await first.close()
        await second.close()


async def test_pending_migrations_apply_in_order_and_all_or_nothing(fresh: Opener) -> None:
    store = fresh()
    await store.setup()
    try:
        extra = Migration(3, "notes", ("CREATE TABLE notes (id TEXT PRIMARY KEY)",))
        broken = Migration(4, "broken", ("CREATE TABLE scratch (id TEXT)", "NOT SQL AT ALL"))
        with pytest.raises(Exception, match=r"(?i)syntax"):
            await migrate(store, COMPONENT, [*MIGRATIONS, extra, broken])
        # The failed run applied nothing, not even its first, valid migration.
        assert await schema_version(store, COMPONENT) == 2
        assert await migrate(store, COMPONENT, [*MIGRATIONS, extra]) == [3]
        assert await count(store, "notes") == 0
        assert await migrate(store, COMPONENT, [*MIGRATIONS, extra]) == []
    finally:
        await store.close()


async def test_a_database_migrated_by_newer_code_is_refused(fresh: Opener) -> None:
    newer, older = fresh(), fresh()
    await newer.setup()
    future = Migration(3, "from the future", ("CREATE TABLE future (id TEXT)",))
    try:
        await migrate(newer, COMPONENT, [*MIGRATIONS, future])
        with pytest.raises(SchemaTooNew, match=r"version 3.*up to 2"):
            await older.setup()
        assert await schema_version(newer, COMPONENT) == 3
    finally:
        await newer.close()
        await older.close()


async def test_an_edited_migration_is_refused(bank: SharedWrites) -> None:
    edited = Migration(2, MIGRATIONS[1].name, ("CREATE TABLE actions (id TEXT)",))
    with pytest.raises(MigrationError, match="differs"):
        await migrate(bank, COMPONENT, [MIGRATIONS[0], edited])


# Authorization at the data layer.


async def test_a_customer_reads_only_their_own_rows(bank: SharedWrites) -> None:
    assert await bank.get_card(H, "cus_ben", "card_alice_new") is None
    assert await bank.get_account(H, "cus_ben", "acc_alice_current") is None
    assert await bank.get_transaction(H, "cus_ben", "txn_erin_streamflix") is None
    assert await bank.get_transfer(H, "cus_ben", "trf_chloe_rent") is None
    assert await bank.get_top_up(H, "cus_ben", "tup_chloe_pending") is None
    assert await bank.get_dispute(H, "cus_ben", "dsp_erin_quickship") is None
    assert await bank.get_card(H, "cus_alice", "card_alice_new") is not None
    listed: list[Account | Card | Transaction | Transfer | TopUp | Dispute] = [
        *await bank.list_accounts(H, "cus_ben"),
        *await bank.list_cards(H, "cus_ben"),
        *await bank.list_transactions(H, "cus_ben", limit=100),
        *await bank.list_transfers(H, "cus_ben"),
        *await bank.list_top_ups(H, "cus_ben"),
        *await bank.list_disputes(H, "cus_ben"),
    ]
    assert listed and {(row.tenant, row.customer_id) for row in listed} == {(H, "cus_ben")}


async def test_a_customer_cannot_change_another_customers_rows(bank: SharedWrites) -> None:
    attempts: list[Awaitable[ActionRecord]] = [
        bank.freeze_card(H, "cus_ben", "card_alice_virtual", idempotency_key=key()),
        bank.unfreeze_card(H, "cus_alice", "card_ben_debit", idempotency_key=key()),
        bank.report_card(H, "cus_ben", "card_erin_debit", "stolen", idempotency_key=key()),
        bank.top_up(H, "cus_ben", "acc_alice_current", 1_000, "apple_pay", idempotency_key=key()),
        bank.open_dispute(
            H, "cus_ben", "txn_erin_streamflix", "not_recognised", idempotency_key=key()
        ),
    ]
    messages = set()
    for attempt in attempts:
        with pytest.raises(NotFound) as refused:
            await attempt
        messages.add(refused.value.message)
    with pytest.raises(NotFound) as missing:
        await bank.freeze_card(H, "cus_ben", "card_nobody", idempotency_key=key())
    # Someone else's card gets exactly the answer a card that does not exist gets.
    assert missing.value.message in messages

    alice_card = await bank.get_card(H, "cus_alice", "card_alice_virtual")
    ben_card = await bank.get_card(H, "cus_ben", "card_ben_debit")
    erin_card = await bank.get_card(H, "cus_erin", "card_erin_debit")
    alice = await bank.get_account(H, "cus_alice", "acc_alice_current")
    disputed = await bank.get_transaction(H, "cus_erin", "txn_erin_streamflix")
    assert alice_card and ben_card and erin_card and alice and disputed
    assert (alice_card.status, ben_card.status, erin_card.status) == ("active", "frozen", "active")
    assert alice.balance_minor == 124_018 and disputed.dispute_id is None
    assert await count(bank, "actions") == 0


async def test_tenants_are_isolated_even_with_the_same_customer_id(bank: SharedWrites) -> None:
    harbor_alice = await bank.get_customer(H, "cus_alice")
    acme_alice = await bank.get_customer("acme", "cus_alice")
    assert harbor_alice and acme_alice and harbor_alice.name != acme_alice.name
    assert [c.id for c in await bank.list_cards("acme", "cus_alice")] == ["card_acme_alice"]
    assert await bank.get_card("acme", "cus_alice", "card_alice_new") is None
    assert await bank.get_card(H, "cus_alice", "card_acme_alice") is None
    assert await bank.get_customer("acme", "cus_ben") is None
    with pytest.raises(NotFound):
        await bank.freeze_card("acme", "cus_alice", "card_alice_virtual", idempotency_key=key())
    # The same idempotency key in two tenants is two different actions.
    shared = key()
    harbor = await bank.freeze_card(H, "cus_alice", "card_alice_virtual", idempotency_key=shared)
    acme = await bank.freeze_card("acme", "cus_alice", "card_acme_alice", idempotency_key=shared)
    assert harbor.changed and acme.changed and not acme.replayed


async def test_an_action_is_visible_only_to_its_customer(bank: SharedWrites) -> None:
    used = key()
    await bank.unfreeze_card(H, "cus_ben", "card_ben_debit", idempotency_key=used)
    assert await bank.get_action(H, "cus_ben", used) is not None
    assert await bank.get_action(H, "cus_alice", used) is None
    with pytest.raises(IdempotencyConflict) as conflict:
        await bank.unfreeze_card(H, "cus_alice", "card_ben_debit", idempotency_key=used)
    assert "card" not in conflict.value.message  # says nothing about what the key did


# Idempotent side effects.


async def test_a_replayed_key_returns_the_first_outcome_and_changes_nothing(
    bank: SharedWrites,
) -> None:
    first_key = key()
    frozen = await bank.freeze_card(H, "cus_alice", "card_alice_virtual", idempotency_key=first_key)
    assert frozen.changed and not frozen.replayed and "frozen" in frozen.message
    await bank.unfreeze_card(H, "cus_alice", "card_alice_virtual", idempotency_key=key())
    # A resumed confirmation of the freeze must not freeze the card again.
    replay = await bank.freeze_card(H, "cus_alice", "card_alice_virtual", idempotency_key=first_key)
    assert replay.replayed and (replay.id, replay.message) == (frozen.id, frozen.message)
    card = await bank.get_card(H, "cus_alice", "card_alice_virtual")
    assert card is not None and card.status == "active"
    stored = await bank.get_action(H, "cus_alice", first_key)
    assert stored is not None and stored.operation == "freeze_card" and stored.changed


async def test_concurrent_confirmations_with_one_key_apply_once(
    bank: SharedWrites, other: SharedWrites
) -> None:
    same = key()
    freezes = await asyncio.gather(
        *(
            store.freeze_card(H, "cus_erin", "card_erin_debit", idempotency_key=same)
            for store in (bank, other, bank, other, bank)
        )
    )
    assert len({f.id for f in freezes}) == 1
    assert sorted(f.replayed for f in freezes) == [False, True, True, True, True]

    before = await bank.get_account(H, "cus_dev", "acc_dev_current")
    money = key()
    top_ups = await asyncio.gather(
        *(
            store.top_up(
                H, "cus_dev", "acc_dev_current", 2_500, "debit_card", idempotency_key=money
            )
            for store in (bank, other, bank, other, bank)
        )
    )
    after = await bank.get_account(H, "cus_dev", "acc_dev_current")
    assert before and after and after.balance_minor == before.balance_minor + 2_500
    assert len({t.result_id for t in top_ups}) == 1 and sum(not t.replayed for t in top_ups) == 1
    assert await count(bank, "top_ups", "WHERE customer_id = %s", "cus_dev") == 1


async def test_concurrent_freezes_with_different_keys_change_the_card_once(
    bank: SharedWrites, other: SharedWrites
) -> None:
    results = await asyncio.gather(
        *(
            store.freeze_card(H, "cus_chloe", "card_chloe_debit", idempotency_key=key())
            for store in (bank, other, bank, other)
        )
    )
    assert sorted(r.changed for r in results) == [False, False, False, True]
    assert await count(bank, "actions") == 4


async def test_a_key_reused_for_a_different_request_is_refused(bank: SharedWrites) -> None:
    used = key()
    await bank.top_up(H, "cus_dev", "acc_dev_current", 1_000, "apple_pay", idempotency_key=used)
    different = [
        bank.top_up(H, "cus_dev", "acc_dev_current", 2_000, "apple_pay", idempotency_key=used),
        bank.top_up(H, "cus_dev", "acc_dev_current", 1_000, "google_pay", idempotency_key=used),
        bank.freeze_card(H, "cus_dev", "card_dev_debit", idempotency_key=used),
    ]
    for attempt in different:
        with pytest.raises(IdempotencyConflict):
            await attempt
    account = await bank.get_account(H, "cus_dev", "acc_dev_current")
    card = await bank.get_card(H, "cus_dev", "card_dev_debit")
    assert account and card and account.balance_minor == 21_240 + 1_000
    assert card.status == "active"


async def test_a_refused_request_does_not_use_up_its_key(bank: SharedWrites) -> None:
    retry = key()
    with pytest.raises(LimitExceeded):
        await bank.top_up(
            H,
            "cus_dev",
            "acc_dev_current",
            MAX_TOP_UP_MINOR + 1,
            "apple_pay",
            idempotency_key=retry,
        )
    with pytest.raises(NotFound):
        await bank.top_up(H, "cus_dev", "acc_missing", 500, "apple_pay", idempotency_key=retry)
    assert await bank.get_action(H, "cus_dev", retry) is None
    done = await bank.top_up(
        H, "cus_dev", "acc_dev_current", 500, "apple_pay", idempotency_key=retry
    )
    assert done.changed and not done.replayed
    for empty in ("", "   ", "k" * 201):
        with pytest.raises(InvalidRequest):
            await bank.freeze_card(H, "cus_dev", "card_dev_debit", idempotency_key=empty)


# Cards.


async def test_freezing_is_a_no_op_when_already_true_and_refused_when_impossible(
    bank: SharedWrites,
) -> None:
    already = await bank.freeze_card(H, "cus_ben", "card_ben_debit", idempotency_key=key())
    assert not already.changed and "already frozen" in already.message
    unfrozen = await bank.unfreeze_card(H, "cus_ben", "card_ben_debit", idempotency_key=key())
    assert unfrozen.changed
    card = await bank.get_card(H, "cus_ben", "card_ben_debit")
    assert card is not None and card.status == "active" and card.status_changed_at == NOW
    not_frozen = await bank.unfreeze_card(H, "cus_ben", "card_ben_debit", idempotency_key=key())
    assert not not_frozen.changed
    with pytest.raises(NotAllowed, match="on its way"):
        await bank.freeze_card(H, "cus_alice", "card_alice_new", idempotency_key=key())
    with pytest.raises(NotAllowed, match="reported lost"):
        await bank.unfreeze_card(H, "cus_alice", "card_alice_old", idempotency_key=key())


async def test_reporting_a_card_blocks_it_and_sends_a_replacement(
    bank: SharedWrites, clock: Clock
) -> None:
    reported = await bank.report_card(
        H, "cus_dev", "card_dev_debit", "stolen", idempotency_key=key()
    )
    assert reported.changed and reported.result_id is not None
    old = await bank.get_card(H, "cus_dev", "card_dev_debit")
    new = await bank.get_card(H, "cus_dev", reported.result_id)
    assert old is not None and old.status == "stolen"
    assert new is not None and new.replaces_card_id == "card_dev_debit"
    assert (new.status, new.delivery_status, new.dispatched_at) == ("in_post", "dispatched", NOW)
    assert new.expected_by is not None and new.expected_by > NOW.date()
    assert new.last4 in reported.message and new.account_id == old.account_id
    # Reporting it again (another confirmation) points to the same replacement.
    again = await bank.report_card(H, "cus_dev", "card_dev_debit", "lost", idempotency_key=key())
    assert not again.changed and again.result_id == new.id
    assert len(await bank.list_cards(H, "cus_dev")) == 2


async def test_a_card_that_never_arrived_can_be_reported_lost(bank: SharedWrites) -> None:
    reported = await bank.report_card(
        H, "cus_alice", "card_alice_new", "lost", idempotency_key=key()
    )
    assert reported.changed and reported.result_id
    replacement = await bank.get_card(H, "cus_alice", reported.result_id)
    assert replacement is not None and replacement.replaces_card_id == "card_alice_new"
    broken: Any = "broken"  # what a model might send; the type does not stop it at runtime
    with pytest.raises(InvalidRequest):
        await bank.report_card(H, "cus_alice", "card_alice_virtual", broken, idempotency_key=key())


# Top-ups.


async def test_top_ups_move_money_within_the_limits(bank: SharedWrites, clock: Clock) -> None:
    account = "acc_chloe_current"
    for amount in (0, -100):
        with pytest.raises(InvalidRequest):
            await bank.top_up(H, "cus_chloe", account, amount, "apple_pay", idempotency_key=key())
    with pytest.raises(InvalidRequest, match="bank transfer"):
        await bank.top_up(H, "cus_chloe", account, 1_000, "bank_transfer", idempotency_key=key())
    done = await bank.top_up(
        H, "cus_chloe", account, MAX_TOP_UP_MINOR, "google_pay", idempotency_key=key()
    )
    assert done.result_id is not None and "£1,000.00" in done.message
    top_up = await bank.get_top_up(H, "cus_chloe", done.result_id)
    assert top_up and (top_up.status, top_up.amount_minor) == ("completed", MAX_TOP_UP_MINOR)
    latest = (await bank.list_transactions(H, "cus_chloe", limit=1))[0]
    assert (latest.kind, latest.amount_minor, latest.status) == (
        "top_up",
        MAX_TOP_UP_MINOR,
        "completed",
    )

    # Chloe's pending bank transfer top-up (£200, 40 minutes ago) is not a card top-up.
    left = DAILY_TOP_UP_MINOR - MAX_TOP_UP_MINOR
    await bank.top_up(H, "cus_chloe", account, left, "apple_pay", idempotency_key=key())
    balance = await bank.get_account(H, "cus_chloe", account)
    with pytest.raises(LimitExceeded, match="24 hours"):
        await bank.top_up(H, "cus_chloe", account, 100, "apple_pay", idempotency_key=key())
    unchanged = await bank.get_account(H, "cus_chloe", account)
    assert balance and unchanged and unchanged.balance_minor == balance.balance_minor
    clock.advance(hours=25)
    await bank.top_up(H, "cus_chloe", account, 100, "apple_pay", idempotency_key=key())


# Disputes.


async def test_a_completed_card_payment_can_be_disputed_once(bank: SharedWrites) -> None:
    opened = await bank.open_dispute(
        H, "cus_erin", "txn_erin_streamflix", "cancelled_subscription", idempotency_key=key()
    )
    assert opened.changed and opened.result_id is not None
    dispute = await bank.get_dispute(H, "cus_erin", opened.result_id)
    assert dispute is not None and (dispute.status, dispute.amount_minor) == ("open", 1_599)
    assert dispute.refund_status == "not_decided" and dispute.expected_by is not None
    txn = await bank.get_transaction(H, "cus_erin", "txn_erin_streamflix")
    assert txn is not None and txn.dispute_id == dispute.id
    assert dispute.id in [d.id for d in await bank.list_disputes(H, "cus_erin")]
    with pytest.raises(NotAllowed, match="already disputed"):
        await bank.open_dispute(
            H, "cus_erin", "txn_erin_streamflix", "not_recognised", idempotency_key=key()
        )


@pytest.mark.parametrize(
    ("customer", "transaction", "refusal"),
    [
        ("cus_erin", "txn_erin_pending", "still pending"),
        ("cus_erin", "txn_erin_old", "days old"),
        ("cus_erin", "txn_erin_quickship", "already disputed"),
        ("cus_dev", "txn_dev_currys", "declined"),
        ("cus_chloe", "txn_chloe_mum", "Only card payments"),
        ("cus_chloe", "txn_chloe_topup", "Only card payments"),
    ],
)
async def test_disputes_follow_the_rules(
    bank: SharedWrites, customer: str, transaction: str, refusal: str
) -> None:
    with pytest.raises(NotAllowed, match=refusal):
        await bank.open_dispute(H, customer, transaction, "not_recognised", idempotency_key=key())
    assert await count(bank, "disputes") == 1


async def test_the_dispute_window_closes(bank: SharedWrites, clock: Clock) -> None:
    changed_mind: Any = "changed_mind"
    with pytest.raises(InvalidRequest):
        await bank.open_dispute(H, "cus_erin", "txn_erin_01", changed_mind, idempotency_key=key())
    clock.advance(days=112)  # StreamFlix was 9 days ago: now 121
    with pytest.raises(NotAllowed, match="120 days"):
        await bank.open_dispute(
            H, "cus_erin", "txn_erin_streamflix", "cancelled_subscription", idempotency_key=key()
        )


async def test_racing_disputes_of_one_payment_open_one(
    bank: SharedWrites, other: SharedWrites
) -> None:
    results = await asyncio.gather(
        *(
            store.open_dispute(H, "cus_erin", "txn_erin_01", "wrong_amount", idempotency_key=key())
            for store in (bank, other, bank)
        ),
        return_exceptions=True,
    )
    opened = [r for r in results if isinstance(r, ActionRecord)]
    refused = [r for r in results if isinstance(r, BankError)]
    assert len(opened) == 1 and len(refused) == 2, results
    assert all(isinstance(r, NotAllowed) for r in refused)


# Seed data.


async def test_seeding_is_idempotent_and_tells_every_story(bank: SharedWrites) -> None:
    tables = ("customers", "accounts", "cards", "transactions", "transfers", "top_ups", "disputes")
    before = [await count(bank, table) for table in tables]
    assert await seed(bank, NOW + timedelta(days=30)) == 0
    assert [await count(bank, table) for table in tables] == before
    assert before[3] >= 36  # a few dozen transactions
    for demo in demo_customers():
        customer = await bank.get_customer(demo.tenant, demo.customer_id)
        assert customer is not None and customer.name == demo.name
        assert await bank.list_accounts(demo.tenant, demo.customer_id)

    # (a) a replacement card in the post, due after today
    alice = {c.id: c for c in await bank.list_cards(H, "cus_alice")}
    in_post = alice["card_alice_new"]
    assert (in_post.status, in_post.delivery_status) == ("in_post", "dispatched")
    assert in_post.expected_by and in_post.expected_by > NOW.date()
    assert alice["card_alice_old"].status == "lost"
    # (b) a frozen card, and the payment it declined
    ben_card = await bank.get_card(H, "cus_ben", "card_ben_debit")
    assert ben_card is not None and ben_card.status == "frozen"
    declined = await bank.list_transactions(H, "cus_ben", status="declined")
    assert [t.decline_reason for t in declined] == ["card_frozen"]
    # (c) transfers pending, failed and returned, each saying why; a pending top-up
    transfers = {t.status: t for t in await bank.list_transfers(H, "cus_chloe")}
    assert set(transfers) == {"pending", "completed", "failed", "returned"}
    assert transfers["pending"].expected_by and transfers["pending"].explanation
    assert transfers["returned"].recipient_account == "••••7810"
    assert all(t.explanation for s, t in transfers.items() if s != "completed")
    pending_top_up = await bank.get_top_up(H, "cus_chloe", "tup_chloe_pending")
    assert pending_top_up is not None and pending_top_up.status == "pending"
    # (d) declined card payments with their reasons, and a hold
    dev = await bank.list_transactions(H, "cus_dev", status="declined")
    assert {t.decline_reason for t in dev} == {"insufficient_funds", "suspected_fraud"}
    assert all(t.explanation for t in dev)
    hold = await bank.get_transaction(H, "cus_dev", "txn_dev_hotel")
    assert hold and hold.status == "pending" and hold.pending_reason == "pre_authorisation"
    # (e) a disputable payment, and a dispute whose refund is on its way
    streamflix = await bank.get_transaction(H, "cus_erin", "txn_erin_streamflix")
    assert streamflix and streamflix.status == "completed" and streamflix.dispute_id is None
    dispute = await bank.get_dispute(H, "cus_erin", "dsp_erin_quickship")
    assert dispute and dispute.refund_status == "pending" and dispute.expected_by
    assert dispute.expected_by >= NOW.date()


async def test_transactions_are_listed_newest_first_and_filtered(bank: SharedWrites) -> None:
    everything = await bank.list_transactions(H, "cus_erin", limit=100)
    assert [t.created_at for t in everything] == sorted(
        (t.created_at for t in everything), reverse=True
    )
    assert len(await bank.list_transactions(H, "cus_erin", limit=3)) == 3
    pending = await bank.list_transactions(H, "cus_erin", status="pending")
    assert [t.id for t in pending] == ["txn_erin_pending"]
    savings = await bank.list_transactions(H, "cus_alice", account_id="acc_alice_savings")
    assert savings == []


async def test_ping(bank: SharedWrites) -> None:
    assert await bank.ping() is True
