"""The records contract, run against the embedded SQLite default and a real Postgres."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from desk.records import Records
from desk.records.postgres import PostgresRecords
from desk.records.sqlite import SqliteRecords


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


async def test_ping(records: Records) -> None:
    assert await records.ping() is True
