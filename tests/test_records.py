"""The records contract, run against the embedded SQLite default and a real Postgres.

The audit trail's part: records read back whole, newest first, filtered and paged; the
database itself refuses to change one, and deletes only those past the legal floor,
which is what the retention prune relies on."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from desk.records import AuditRecord, FailedTurn, GuardrailEvent, Records
from desk.records.base import AUDIT_MIN_RETENTION_DAYS, TranscriptLine, utcnow
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


TRANSCRIPT: list[TranscriptLine] = [
    {"role": "customer", "text": "My card was stolen"},
    {"role": "assistant", "text": "I can freeze it for you [1]"},
    {"role": "customer", "text": "I want to talk to a person"},
]


async def test_a_ticket_keeps_its_transcript_and_route(records: Records) -> None:
    cid = new_id()
    await records.create_conversation(cid, "harbor")
    opened = await records.open_ticket(
        "harbor",
        cid,
        "customer asked for a person",
        "Stolen card.",
        transcript=TRANSCRIPT,
        route="knowledge",
    )
    found = await records.get_ticket(opened.id, "harbor")
    assert found == opened
    assert found is not None and list(found.transcript) == TRANSCRIPT
    assert (found.route, found.status, found.closed_at, found.closed_by) == (
        "knowledge",
        "open",
        None,
        None,
    )
    assert await records.get_ticket(opened.id, "other-bank") is None
    assert await records.get_ticket(new_id(), "harbor") is None


async def test_the_open_ticket_of_a_conversation_is_found_until_it_is_closed(
    records: Records,
) -> None:
    cid, quiet = new_id(), new_id()
    await records.create_conversation(cid, "harbor")
    await records.create_conversation(quiet, "harbor")
    assert await records.open_ticket_for(cid, "harbor") is None
    ticket = await records.open_ticket("harbor", cid, "customer asked for a person", "Help.")
    assert await records.open_ticket_for(cid, "harbor") == ticket
    assert await records.open_ticket_for(cid, "other-bank") is None
    assert await records.open_ticket_for(quiet, "harbor") is None
    await records.close_ticket(ticket.id, "harbor", "agent_ada")
    assert await records.open_ticket_for(cid, "harbor") is None


async def test_closing_records_who_and_when_and_is_idempotent(records: Records) -> None:
    cid = new_id()
    await records.create_conversation(cid, "harbor")
    ticket = await records.open_ticket("harbor", cid, "customer asked for a person", "Help.")
    closed = await records.close_ticket(ticket.id, "harbor", "agent_ada")
    assert closed is not None
    assert (closed.status, closed.closed_by, closed.reference) == (
        "closed",
        "agent_ada",
        ticket.reference,
    )
    assert closed.closed_at is not None and closed.closed_at >= ticket.created_at
    # A second close (another agent, a retried request) changes nothing.
    assert await records.close_ticket(ticket.id, "harbor", "agent_bo") == closed
    assert await records.close_ticket(ticket.id, "other-bank", "agent_bo") is None
    assert await records.close_ticket(new_id(), "harbor", "agent_ada") is None


async def test_tickets_are_listed_per_tenant_and_status(records: Records) -> None:
    tenant = f"t-{new_id()}"
    opened = []
    for _ in range(3):
        cid = new_id()
        await records.create_conversation(cid, tenant)
        opened.append(await records.open_ticket(tenant, cid, "asked for a person", "Help."))
    await records.close_ticket(opened[0].id, tenant, "agent_ada")
    await records.close_ticket(opened[2].id, tenant, "agent_ada")
    assert [t.id for t in await records.list_tickets(tenant)] == [opened[1].id]
    closed = await records.list_tickets(tenant, status="closed")
    assert [t.id for t in closed] == [opened[2].id, opened[0].id]  # newest close first
    assert len(await records.list_tickets(tenant, status="closed", limit=1)) == 1
    assert await records.list_tickets("other-bank") == []
    with pytest.raises(ValueError, match="status"):
        await records.list_tickets(tenant, status="pending")


async def test_open_tickets_are_listed_oldest_first(records: Records) -> None:
    tenant = f"t-{new_id()}"
    opened = []
    for _ in range(4):
        cid = new_id()
        await records.create_conversation(cid, tenant)
        opened.append(await records.open_ticket(tenant, cid, "asked for a person", "Help."))
    listed = await records.list_tickets(tenant)
    assert [t.created_at for t in listed] == sorted(t.created_at for t in opened)
    assert {t.id for t in listed} == {t.id for t in opened}


async def test_guardrail_events_are_kept_per_tenant_and_conversation(records: Records) -> None:
    tenant, cid, other = f"t-{new_id()}", new_id(), new_id()
    injection = GuardrailEvent.new(
        tenant,
        cid,
        kind="injection",
        family="instruction_override",
        score=0.97,
        action="refused",
        customer_id="cus_alice",
        detail="rule:ignore_previous",
    )
    await records.record_guardrail_event(injection)
    indirect = GuardrailEvent.new(
        tenant,
        other,
        kind="indirect",
        score=0.8,
        action="neutralised",
        detail="document hb-fees: hidden instruction",
    )
    await records.record_guardrail_event(indirect)
    assert await records.guardrail_events(tenant) == [indirect, injection]  # newest first
    assert await records.guardrail_events(tenant, conversation_id=cid) == [injection]
    assert await records.guardrail_events(tenant, limit=1) == [indirect]
    assert await records.guardrail_events("other-bank") == []
    assert injection.family == "instruction_override" and indirect.family is None


async def test_guardrail_events_are_filtered_by_time(records: Records) -> None:
    tenant, cid = f"t-{new_id()}", new_id()
    old = GuardrailEvent(
        id=new_id(),
        tenant=tenant,
        conversation_id=cid,
        customer_id="cus_alice",
        kind="other_customer",
        family=None,
        score=1.0,
        action="refused",
        detail="asked for another customer's account",
        created_at=utcnow() - timedelta(days=2),
    )
    await records.record_guardrail_event(old)
    recent = GuardrailEvent.new(tenant, cid, kind="injection", score=0.9, action="refused")
    await records.record_guardrail_event(recent)
    since = utcnow() - timedelta(days=1)
    assert await records.guardrail_events(tenant, since=since) == [recent]
    assert await records.guardrail_events(tenant, since=since - timedelta(days=2)) == [
        recent,
        old,
    ]


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


async def execute_raw(records: Records, request: pytest.FixtureRequest, statement: str) -> None:
    """Past the interface, as a person with database access would try it."""
    if isinstance(records, SqliteRecords):
        await records.db.execute(statement)
        await records.db.commit()
        return
    async with await psycopg.AsyncConnection.connect(
        request.getfixturevalue("postgres_url"), autocommit=True
    ) as conn:
        await conn.execute(statement)


def a_turn(tenant: str, conversation_id: str, **fields: object) -> AuditRecord:
    record = AuditRecord.new(
        tenant,
        conversation_id,
        "cus_alice",
        kind="turn",
        outcome="answered",
        route="cards",
        intent="card_lost",
        model_calls=(
            {
                "group": "answer",
                "deployment": "primary",
                "model": "gpt-4o-mini",
                "prompt_tokens": 812,
                "completion_tokens": 64,
                "cost_usd": 0.00016,
                "cached": False,
            },
        ),
        tools=(
            {
                "action": "freeze_card",
                "approval_id": "ap-1",
                "decision": "confirm",
                "decided_by": "cus_alice",
                "decided_via": "button",
                "status": "done",
            },
        ),
        guardrails=({"guardrail": "injection", "outcome": "passed", "score": 0.02},),
        ai_generated=True,
        ai_disclosed=True,
        cost_usd=0.00016,
        trace_id="0af7651916cd43dd8448eb211c80319c",
    )
    return replace(record, **fields)  # type: ignore[arg-type]


async def test_a_record_reads_back_whole(records: Records) -> None:
    tenant, cid = f"t-{new_id()}", new_id()
    record = a_turn(tenant, cid)
    await records.record_audit(record)
    assert await records.audit_records(tenant) == [record]
    assert await records.audit_records("another-bank") == []


async def test_records_are_filtered_by_conversation_and_time_newest_first(
    records: Records,
) -> None:
    tenant, cid, other = f"t-{new_id()}", new_id(), new_id()
    now = utcnow()
    old = a_turn(tenant, cid, created_at=now - timedelta(days=3))
    mine = a_turn(tenant, cid, created_at=now - timedelta(hours=1))
    theirs = a_turn(tenant, other, created_at=now - timedelta(minutes=5), kind="agent_reply")
    for record in (mine, old, theirs):
        await records.record_audit(record)
    assert await records.audit_records(tenant) == [theirs, mine, old]
    assert await records.audit_records(tenant, conversation_id=cid) == [mine, old]
    assert await records.audit_records(tenant, since=now - timedelta(days=1)) == [theirs, mine]
    assert await records.audit_records(tenant, until=now - timedelta(hours=1)) == [old]
    # Paging: the oldest of a page, passed as `until`, reads on without repeats.
    first = await records.audit_records(tenant, limit=2)
    rest = await records.audit_records(tenant, until=first[-1].created_at, limit=2)
    assert first + rest == [theirs, mine, old]


async def test_the_database_refuses_to_change_a_record(
    records: Records, request: pytest.FixtureRequest
) -> None:
    tenant = f"t-{new_id()}"
    record = a_turn(tenant, new_id(), created_at=utcnow() - timedelta(days=400))
    await records.record_audit(record)
    with pytest.raises(Exception, match="append-only"):
        await execute_raw(
            records, request, f"UPDATE audit_records SET outcome = 'x' WHERE id = '{record.id}'"
        )
    assert await records.audit_records(tenant) == [record]


async def test_only_records_past_the_legal_floor_can_be_deleted(
    records: Records, request: pytest.FixtureRequest
) -> None:
    tenant = f"t-{new_id()}"
    floor = timedelta(days=AUDIT_MIN_RETENTION_DAYS)
    young = a_turn(tenant, new_id(), created_at=utcnow() - floor + timedelta(days=1))
    await records.record_audit(young)
    with pytest.raises(Exception, match="kept at least 183 days"):
        await execute_raw(records, request, f"DELETE FROM audit_records WHERE id = '{young.id}'")
    with pytest.raises(Exception, match="kept at least 183 days"):
        await records.prune_audit(utcnow())
    assert await records.audit_records(tenant) == [young]


async def test_prune_deletes_what_is_past_retention_and_keeps_the_rest(records: Records) -> None:
    tenant = f"t-{new_id()}"
    now = utcnow()
    expired = a_turn(tenant, new_id(), created_at=now - timedelta(days=2000))
    kept = a_turn(tenant, new_id(), created_at=now - timedelta(days=1000))
    recent = a_turn(tenant, new_id())
    for record in (expired, kept, recent):
        await records.record_audit(record)
    assert await records.prune_audit(now - timedelta(days=1827)) >= 1
    assert await records.audit_records(tenant) == [recent, kept]


def test_the_append_only_guard_is_part_of_the_migration_checksum() -> None:
    """Editing a backend's trigger is a schema change like any other: a new migration."""
    audit = MIGRATIONS[-1]
    assert dict(audit.backend_statements).keys() == {"sqlite", "postgres"}
    stripped = replace(audit, backend_statements=(("sqlite", audit.backend_statements[0][1]),))
    assert stripped.checksum != audit.checksum
    assert audit.statements_for("sqlite") != audit.statements_for("postgres")
