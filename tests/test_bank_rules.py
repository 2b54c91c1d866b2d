"""The bank's rules without a database, and `open_bank` choosing and seeding a backend."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from bank import NotAllowed, open_bank
from bank.base import Account, Card, CardStatus, Dispute, Transaction, Transfer
from bank.cards import freeze
from bank.migrations import MIGRATIONS, Migration
from bank.rows import params as encode
from bank.rules import add_working_days, card_transition, format_money
from bank.seed import demo_customers, demo_dataset
from migrator import check_sequence
from supportdesk.config import Settings

NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)


def card(status: CardStatus) -> Card:
    return Card(
        "harbor", "card_x", "cus_x", "acc_x", "1234", "physical", status, "2027-03", NOW, NOW
    )


def test_working_days_skip_weekends() -> None:
    friday = date(2025, 3, 14)
    assert add_working_days(friday, 1) == date(2025, 3, 17)
    assert add_working_days(date(2025, 3, 12), 3) == date(2025, 3, 17)
    assert add_working_days(friday, 0) == friday


def test_money_is_shown_the_way_customers_read_it() -> None:
    assert format_money(124_018, "GBP") == "£1,240.18"
    assert format_money(-385, "GBP") == "-£3.85"
    assert format_money(5, "EUR") == "€0.05"
    assert format_money(1_200, "CHF") == "12.00 CHF"


@pytest.mark.parametrize(
    ("status", "freezing", "unfreezing", "reporting"),
    [
        ("active", "apply", "no_change", "apply"),
        ("frozen", "no_change", "apply", "apply"),
        ("in_post", None, None, "apply"),
        ("lost", None, None, "no_change"),
        ("stolen", None, None, "no_change"),
        ("cancelled", None, None, None),
    ],
)
def test_card_transitions(
    status: CardStatus, freezing: str | None, unfreezing: str | None, reporting: str | None
) -> None:
    for action, expected in (("freeze", freezing), ("unfreeze", unfreezing), ("report", reporting)):
        if expected is None:
            with pytest.raises(NotAllowed):
                card_transition(card(status), action)  # type: ignore[arg-type]
        else:
            assert card_transition(card(status), action) == expected  # type: ignore[arg-type]


class StaleReadTx:
    """Reads an active card, then loses the compare-and-set to a concurrent freeze."""

    def __init__(self) -> None:
        self.reads = 0

    async def fetchall(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        self.reads += 1
        status: CardStatus = "active" if self.reads == 1 else "frozen"
        return [encode(card(status))]

    async def execute(self, query: str, *params: Any) -> int:
        assert query.startswith("UPDATE cards")
        return 0  # someone else moved the card first


async def test_a_card_changed_concurrently_is_read_again_not_overwritten() -> None:
    tx = StaleReadTx()
    outcome = await freeze(tx, NOW, "harbor", "cus_x", "card_x")
    assert tx.reads == 2 and not outcome.changed and "already frozen" in outcome.message


def test_migrations_are_numbered_in_order_and_checksummed_ignoring_layout() -> None:
    check_sequence(MIGRATIONS)
    with pytest.raises(ValueError):
        check_sequence([MIGRATIONS[1], MIGRATIONS[0]])
    with pytest.raises(ValueError):
        check_sequence([MIGRATIONS[0], MIGRATIONS[0]])
    one = Migration(1, "t", ("CREATE TABLE t (id TEXT)",))
    assert one.checksum == Migration(1, "t", ("\n  CREATE TABLE t\n    (id TEXT)\n",)).checksum
    assert one.checksum != Migration(1, "t", ("CREATE TABLE t (id INTEGER)",)).checksum


def test_demo_data_names_each_customer_once_and_every_row_has_an_owner() -> None:
    data = demo_dataset(NOW)
    demo = {(d.tenant, d.customer_id) for d in demo_customers()}
    assert demo == {(c.tenant, c.id) for c in data.customers}
    assert len(demo) == len(demo_customers()) and {t for t, _ in demo} == {"harbor", "acme"}
    owned: list[Account | Card | Transaction | Transfer | Dispute] = [
        *data.accounts,
        *data.cards,
        *data.transactions,
        *data.transfers,
        *data.disputes,
    ]
    assert all((row.tenant, row.customer_id) in demo for row in owned)
    assert demo_dataset(NOW) == data  # stable: same moment, same rows


def settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": tmp_path, "database_url": None, **overrides}
    return Settings(_env_file=None, **values)


async def test_the_embedded_bank_is_a_sqlite_file_seeded_in_development(tmp_path: Path) -> None:
    bank = await open_bank(settings(tmp_path))
    try:
        assert bank.backend == "sqlite" and (tmp_path / "bank.sqlite").exists()
        assert await bank.get_customer("harbor", "cus_alice") is not None
    finally:
        await bank.close()


async def test_production_is_not_seeded_unless_asked(tmp_path: Path) -> None:
    # Copied, not validated: production's other requirements (Qdrant, auth) are not the point.
    production = settings(tmp_path).model_copy(update={"environment": "production"})
    bank = await open_bank(production)
    try:
        assert await bank.get_customer("harbor", "cus_alice") is None
    finally:
        await bank.close()
    bank = await open_bank(production, seed_demo=True)
    try:
        assert await bank.get_customer("harbor", "cus_alice") is not None
    finally:
        await bank.close()


async def test_database_url_selects_postgres(tmp_path: Path, postgres_url: str) -> None:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    url = make_conninfo(postgres_url, options=f"-c search_path={schema}")
    bank = await open_bank(settings(tmp_path, database_url=url))
    try:
        assert bank.backend == "postgres" and not (tmp_path / "bank.sqlite").exists()
        assert await bank.get_card("harbor", "cus_ben", "card_ben_debit") is not None
    finally:
        await bank.close()
