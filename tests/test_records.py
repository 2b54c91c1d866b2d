"""The records contract, run against the embedded SQLite default and a real Postgres."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from desk.records import FailedTurn, Records
from desk.records.migrations import COMPONENT, MIGRATIONS
from desk.records.postgres import PostgresRecords
from desk.records.sqlite import SqliteRecords
from migrator import schema_version


@pytest.fixture(params=["sqlite", "postgres"])
async def records(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Records]:
    store: Records
    if request.param == "sqlite":
        store = SqliteRecords(tmp_path / "desk.sqlite")
    else:
        store = PostgresRecords(request.getfixturevalue("postgres_url"))
    await store.setup()
    yield store
    await store.close()


def new_id() -> str:
    return uuid.uuid4().hex


async def test_a_conversation_is_found_only_by_its_tenant(records: Records) -> None:
    cid = new_id()
    created = await records.create_conversation(cid, "harbor")
    found = await records.get_conversation(cid, "harbor")
    assert found is not None
    assert (found.id, found.tenant, found.turns) == (cid, "harbor", 0)
    assert found.created_at == created.created_at
    assert await records.get_conversation(cid, "other-bank") is None
    assert await records.get_conversation(new_id(), "harbor") is None


async def test_a_conversation_is_found_by_its_owner_and_not_another_customer(
    records: Records,
) -> None:
    cid = new_id()
    await records.create_conversation(cid, "harbor", customer_id="cus_alice")
    mine = await records.get_conversation(cid, "harbor", customer_id="cus_alice")
    assert mine is not None and mine.customer_id == "cus_alice"
    assert await records.get_conversation(cid, "harbor", customer_id="cus_ben") is None
    assert await records.get_conversation(cid, "acme", customer_id="cus_alice") is None
    # An agent of the tenant (no customer given) finds it; the owner is reported.
    as_agent = await records.get_conversation(cid, "harbor")
    assert as_agent is not None and as_agent.customer_id == "cus_alice"


async def test_a_database_from_before_migrations_is_adopted(tmp_path: Path) -> None:
    """A desk.sqlite made by the pre-migration schema keeps its rows and gains owners."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(
            "CREATE TABLE conversations (id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
            " created_at TEXT NOT NULL, turns INTEGER NOT NULL DEFAULT 0);"
            "INSERT INTO conversations VALUES ('old', 'harbor', '2026-01-01T00:00:00+00:00', 3);"
        )
    store = SqliteRecords(path)
    await store.setup()
    try:
        old_conversation = await store.get_conversation("old", "harbor")
        assert old_conversation is not None and old_conversation.turns == 3
        assert old_conversation.customer_id == ""  # owned by nobody: no customer finds it
        assert await store.get_conversation("old", "harbor", customer_id="") is not None
        assert await schema_version(store, COMPONENT) == MIGRATIONS[-1].version
    finally:
        await store.close()
    again = SqliteRecords(path)
    await again.setup()  # a second start applies nothing and changes nothing
    await again.close()


async def test_turns_are_counted(records: Records) -> None:
    cid = new_id()
    await records.create_conversation(cid, "harbor")
    assert [await records.count_turn(cid) for _ in range(3)] == [1, 2, 3]
    found = await records.get_conversation(cid, "harbor")
    assert found is not None and found.turns == 3


async def test_tickets_belong_to_their_conversation_and_tenant(records: Records) -> None:
    cid, other = new_id(), new_id()
    await records.create_conversation(cid, "harbor")
    await records.create_conversation(other, "harbor")
    first = await records.open_ticket("harbor", cid, "customer asked for a person", "Lost card.")
    second = await records.open_ticket("harbor", cid, "desk could not help", "Crypto question.")
    await records.open_ticket("harbor", other, "customer asked for a person", "Other.")
    tickets = await records.tickets_for(cid, "harbor")
    assert [t.reference for t in tickets] == [first.reference, second.reference]
    assert tickets[0].summary == "Lost card." and tickets[0].status == "open"
    assert first.reference.startswith("HB-") and first.reference != second.reference
    assert await records.tickets_for(cid, "other-bank") == []


async def test_failed_turns_keep_the_message_for_their_conversation_only(
    records: Records,
) -> None:
    cid = new_id()
    conversation = await records.create_conversation(cid, "harbor")
    failed = FailedTurn.new(
        conversation,
        "Where is my card?",
        code="answer_interrupted",
        reason="answer-primary failed mid-answer: cut",
        retryable=True,
        shown="Cards arrive within 5 days [1]",
    )
    await records.record_failed_turn(failed)
    assert await records.failed_turns(cid, "harbor") == [failed]
    assert await records.failed_turns(cid, "other-bank") == []


async def test_ping(records: Records) -> None:
    assert await records.ping() is True


async def test_usage_is_summed_per_model_and_per_period(records: Records) -> None:
    from datetime import timedelta

    from desk.records import UsageRecord
    from desk.records.base import utcnow

    tenant = f"t-{new_id()}"
    cid = new_id()
    await records.create_conversation(cid, tenant)
    now = utcnow()

    def call(model: str, cost: float, when: datetime, avoided: float = 0.0) -> UsageRecord:
        return UsageRecord(
            tenant, cid, "answer", f"{model}-id", model, 100, 20, cost, avoided, when
        )

    last_month = now - timedelta(days=40)
    await records.record_usage(
        [
            call("gpt", 0.002, now),
            call("gpt", 0.003, now),
            call("smol", 0.0, now, avoided=0.004),
            call("gpt", 1.0, last_month),
        ]
    )
    since = now - timedelta(days=1)
    lines = {line.model: line for line in await records.usage_by_model(tenant, since)}
    assert lines["gpt"].calls == 2 and lines["gpt"].prompt_tokens == 200
    assert lines["gpt"].cost_usd == pytest.approx(0.005)
    assert lines["smol"].avoided_usd == pytest.approx(0.004)
    assert await records.spend_since(tenant, since) == pytest.approx((0.005, 0.004))
    assert await records.conversation_spend(cid, tenant) == pytest.approx(1.005)
    assert await records.usage_by_model("another-tenant", since) == []
