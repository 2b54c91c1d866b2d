"""The audit trail through the API, as an operator reads it after real conversations:
a card frozen on the customer's confirmation (who confirmed, how, and what ran), a
handoff with the agent's reply and close, and the refusals a wrong caller gets. The app
runs in-process on its embedded defaults with the local model server down."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from desk.api.app import create_app
from desk.records import AuditRecord
from desk.records.sqlite import SqliteRecords
from supportdesk.config import Settings
from tests.support.desk_app import client_for, desk_settings, ingest_help_centre
from tests.support.leak_scan import Leaks, scan_audit

OPERATOR = "ops_olivia"


@pytest.fixture(scope="module")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await ingest_help_centre(desk_settings(tmp_path_factory.mktemp("audit")))


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def say(client: httpx.AsyncClient, cid: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/conversations/{cid}/messages", json=body)
    assert response.status_code in (200, 202), response.text
    reply: dict[str, Any] = response.json()
    return reply


async def trail(app: FastAPI, settings: Settings, **params: Any) -> list[dict[str, Any]]:
    async with client_for(app, settings, OPERATOR, role="operator") as operator:
        response = await operator.get("/v1/audit", params=params)
    assert response.status_code == 200, response.text
    records: list[dict[str, Any]] = response.json()["records"]
    return records


async def test_the_trail_shows_who_confirmed_a_card_freeze(
    app: FastAPI, settings: Settings
) -> None:
    async with client_for(app, settings, "cus_chloe") as chloe:
        cid = (await chloe.post("/v1/conversations")).json()["id"]
        asked = await say(chloe, cid, content="I lost my card")
        approval = asked["approval"]
        assert approval["action"] == "freeze_card"
        await say(chloe, cid, approval={"id": approval["id"], "decision": "confirm"})
        # A double click: the recorded outcome is told again, and recorded as a replay.
        await say(chloe, cid, approval={"id": approval["id"], "decision": "confirm"})

    started, proposed, confirmed, again = reversed(await trail(app, settings, conversation_id=cid))
    assert started["kind"] == "conversation_started" and started["ai_disclosed"] is True
    assert started["customer_id"] == "cus_chloe" and started["ai_generated"] is False

    assert (proposed["kind"], proposed["outcome"], proposed["route"]) == (
        "turn",
        "awaiting_approval",
        "cards",
    )
    [waiting] = proposed["tools"]
    assert (waiting["action"], waiting["decision"], waiting["decided_by"]) == (
        "freeze_card",
        "pending",
        "",
    )

    assert confirmed["outcome"] == "answered" and confirmed["customer_id"] == "cus_chloe"
    [frozen] = confirmed["tools"]
    assert frozen == {
        "action": "freeze_card",
        "approval_id": approval["id"],
        "decision": "confirm",
        "decided_by": "cus_chloe",
        "decided_via": "button",
        "status": "done",
    }
    [replayed] = again["tools"]
    assert (replayed["approval_id"], replayed["status"]) == (approval["id"], "replayed")
    assert again["model_calls"] == [] and again["route"] == "cards"
    for turn in (proposed, confirmed, again):
        assert turn["ai_generated"] is True and turn["ai_disclosed"] is True
        assert len(turn["trace_id"]) == 32 and int(turn["trace_id"], 16)
    # The injection guard checked the message that proposed the freeze and let it pass.
    checks = {(g["guardrail"], g["outcome"]) for g in proposed["guardrails"]}
    assert ("injection", "passed") in checks


async def test_a_typed_no_is_recorded_as_declined_by_the_customer(
    app: FastAPI, settings: Settings
) -> None:
    async with client_for(app, settings, "cus_chloe") as chloe:
        cid = (await chloe.post("/v1/conversations")).json()["id"]
        await say(chloe, cid, content="I lost my card")
        await say(chloe, cid, content="no")
    declined = (await trail(app, settings, conversation_id=cid))[0]
    [tool] = declined["tools"]
    assert (tool["decision"], tool["decided_by"], tool["decided_via"], tool["status"]) == (
        "decline",
        "cus_chloe",
        "message",
        "declined",
    )


async def test_model_calls_and_the_grounding_check_are_recorded(
    app: FastAPI, settings: Settings
) -> None:
    async with client_for(app, settings, "cus_newcomer") as newcomer:
        cid = (await newcomer.post("/v1/conversations")).json()["id"]
        answered = await say(
            newcomer, cid, content="My card still hasn't arrived, what should I do?"
        )
    assert answered["citations"]
    turn = (await trail(app, settings, conversation_id=cid))[0]
    assert turn["route"] == answered["route"] and turn["intent"] == answered["metadata"]["intent"]
    # The model server is down: the extractive tier answered, and the trail says so.
    answered_by = answered["metadata"]["answered_by"]
    last = turn["model_calls"][-1]
    assert (last["group"], last["deployment"], last["cached"]) == (
        answered_by["group"],
        answered_by["deployment"],
        False,
    )
    checks = {(g["guardrail"], g["outcome"]) for g in turn["guardrails"]}
    assert {("injection", "passed"), ("grounding", "grounded")} <= checks


async def test_an_agents_reply_and_close_are_recorded_with_the_agent(
    app: FastAPI, settings: Settings
) -> None:
    async with (
        client_for(app, settings, "cus_ben") as ben,
        client_for(app, settings, "agent_ada", role="agent") as agent,
    ):
        cid = (await ben.post("/v1/conversations")).json()["id"]
        handed = await say(ben, cid, content="I want to talk to a person")
        reference = handed["metadata"]["ticket"]["reference"]
        queue = (await agent.get("/v1/agent/tickets")).json()["tickets"]
        [ticket_id] = [t["id"] for t in queue if t["reference"] == reference]
        assert (await say(ben, cid, content="are you there?"))["message"]
        reply = await agent.post(
            f"/v1/agent/tickets/{ticket_id}/replies", json={"text": "Hello Ben, Ada here."}
        )
        assert reply.status_code == 201
        assert (await agent.post(f"/v1/agent/tickets/{ticket_id}/close")).status_code == 200

    closed, replied, held, handoff, _ = await trail(app, settings, conversation_id=cid)
    assert (handoff["outcome"], handoff["route"]) == ("handed_off", "handoff")
    assert (held["kind"], held["agent_id"], held["ai_generated"]) == ("held_for_agent", "", False)
    assert (replied["kind"], replied["agent_id"], replied["ai_generated"]) == (
        "agent_reply",
        "agent_ada",
        False,
    )
    assert (closed["kind"], closed["agent_id"], closed["outcome"]) == (
        "ticket_closed",
        "agent_ada",
        "handed_back",
    )
    assert all(record["customer_id"] == "cus_ben" for record in (held, replied, closed))


async def test_the_trail_is_filtered_by_time_and_paged(app: FastAPI, settings: Settings) -> None:
    async with client_for(app, settings, "cus_alice") as alice:
        cid = (await alice.post("/v1/conversations")).json()["id"]
        await say(alice, cid, content="hello")
    everything = await trail(app, settings, conversation_id=cid)
    assert [r["kind"] for r in everything] == ["turn", "conversation_started"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await trail(app, settings, conversation_id=cid, since=future) == []
    async with client_for(app, settings, OPERATOR, role="operator") as operator:
        page = (await operator.get("/v1/audit", params={"conversation_id": cid, "limit": 1})).json()
        assert [r["id"] for r in page["records"]] == [everything[0]["id"]]
        rest = (
            await operator.get(
                "/v1/audit",
                params={"conversation_id": cid, "limit": 1, "until": page["next_until"]},
            )
        ).json()
        assert [r["id"] for r in rest["records"]] == [everything[1]["id"]]


async def test_only_the_tenants_operators_read_the_trail(app: FastAPI, settings: Settings) -> None:
    async with client_for(app, settings, "cus_alice") as alice:
        cid = (await alice.post("/v1/conversations")).json()["id"]
    for subject, claims in (("cus_alice", {}), ("agent_ada", {"role": "agent"})):
        async with client_for(app, settings, subject, **claims) as caller:
            refused = await caller.get("/v1/audit")
        assert refused.status_code == 403
        assert "operator" in refused.json()["error"]["message"]
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://desk"
    ) as anonymous:
        assert (await anonymous.get("/v1/audit")).status_code == 401
    async with client_for(app, settings, OPERATOR, role="operator", tenant="acme") as other:
        found = await other.get("/v1/audit", params={"conversation_id": cid})
    assert found.status_code == 200 and found.json()["records"] == []


async def test_a_bad_filter_is_a_readable_422(app: FastAPI, settings: Settings) -> None:
    async with client_for(app, settings, OPERATOR, role="operator") as operator:
        backwards = await operator.get(
            "/v1/audit", params={"since": "2026-11-02T00:00:00Z", "until": "2026-11-01T00:00:00Z"}
        )
        assert backwards.status_code == 422
        assert "must be before" in backwards.json()["error"]["message"]
        garbled = await operator.get("/v1/audit", params={"since": "last tuesday"})
        assert garbled.status_code == 422
        too_many = await operator.get("/v1/audit", params={"limit": 100000})
        assert too_many.status_code == 422


def test_the_suites_leak_scan_finds_a_card_number_in_an_audit_record() -> None:
    leaks = Leaks()
    careless = AuditRecord.new(
        "harbor", "c1", "cus_alice", kind="turn", outcome="answered", intent="4111111111111111"
    )
    careful = AuditRecord.new("harbor", "c1", "cus_alice", kind="turn", outcome="answered")
    scan_audit(leaks, careless)
    scan_audit(leaks, careful)
    assert len(leaks.found) == 1 and leaks.found[0].startswith("audit record turn: 4111")


def prune(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "supportdesk.cli", "audit", "prune", *args]
    env = {**os.environ, "DATA_DIR": str(settings.data_dir)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)


async def test_supportdesk_audit_prune_keeps_the_retention_and_the_floor(
    app: FastAPI, settings: Settings
) -> None:
    async with client_for(app, settings, "cus_alice") as alice:
        recent = (await alice.post("/v1/conversations")).json()["id"]
    records = SqliteRecords(settings.sqlite_path)
    await records.setup()
    tenant = f"t-{uuid.uuid4().hex}"
    try:
        expired = replace(
            AuditRecord.new(tenant, "c-old", "cus_alice", kind="turn", outcome="answered"),
            created_at=datetime.now(UTC) - timedelta(days=2000),
        )
        await records.record_audit(expired)
        refused = await asyncio.to_thread(prune, settings, "--days", "30")
        assert refused.returncode == 2 and "below the legal floor of 183 days" in refused.stderr
        pruned = await asyncio.to_thread(prune, settings)
        assert pruned.returncode == 0, pruned.stderr
        assert "deleted 1 audit records older than 1827 days" in pruned.stdout
        assert await records.audit_records(tenant) == []
    finally:
        await records.close()
    assert [r["kind"] for r in await trail(app, settings, conversation_id=recent)] == [
        "conversation_started"
    ]
