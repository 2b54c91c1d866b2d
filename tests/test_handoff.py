"""Human handoff end to end, through the API: a ticket, the bot quiet, an agent, the bot back.

The app runs in-process on its embedded defaults (Qdrant local mode, MiniLM, the
semantic router, SQLite) with the local model server down, as in tests/test_api.py:
summaries fall back to the customer's own words and answers come from the extractive
tier. The semantic cache is off; it plays no part in a handoff.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from desk.api.app import create_app
from desk.waiting import WAITING
from supportdesk.config import Settings
from tests.support.desk_app import client_for, desk_settings, ingest_help_centre
from tests.support.sse import parse_sse

CUSTOMER = "cus_newcomer"
AGENT = "agent_ada"
TICKETS = "/v1/agent/tickets"


@pytest.fixture(scope="module")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = desk_settings(tmp_path_factory.mktemp("desk-data"), max_message_chars=200)
    return await ingest_help_centre(settings)


@pytest.fixture(scope="module")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def customer(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, settings, CUSTOMER) as client:
        yield client


@pytest.fixture
async def agent(app: FastAPI, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app, settings, AGENT, role="agent") as client:
        yield client


async def say(customer: httpx.AsyncClient, cid: str, text: str, **kwargs: Any) -> httpx.Response:
    return await customer.post(
        f"/v1/conversations/{cid}/messages", json={"content": text}, **kwargs
    )


async def handed_off(customer: httpx.AsyncClient, agent: httpx.AsyncClient) -> tuple[str, dict]:
    """A conversation with one answered question, then a request for a person; its ticket."""
    cid = (await customer.post("/v1/conversations")).json()["id"]
    assert (await say(customer, cid, "My card still hasn't arrived")).status_code == 200
    asked = await say(customer, cid, "I want to talk to a person")
    assert asked.status_code == 200 and asked.json()["route"] == "handoff"
    reference = asked.json()["metadata"]["ticket"]["reference"]
    queue = (await agent.get(TICKETS)).json()["tickets"]
    [ticket] = [t for t in queue if t["reference"] == reference]
    assert ticket["conversation_id"] == cid
    return cid, ticket


async def history(customer: httpx.AsyncClient, cid: str) -> dict[str, Any]:
    response = await customer.get(f"/v1/conversations/{cid}")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_asking_for_a_person_opens_a_ticket_an_agent_can_read(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient
) -> None:
    _, ticket = await handed_off(customer, agent)
    assert ticket["status"] == "open" and ticket["reason"] == "customer asked for a person"
    assert ticket["route"] == "handoff"
    # No model is up: the summary is the customer's own words.
    assert "I want to talk to a person" in ticket["summary"]
    said = [line["text"] for line in ticket["transcript"] if line["role"] == "customer"]
    assert said == ["My card still hasn't arrived", "I want to talk to a person"]
    assert any(line["role"] == "assistant" for line in ticket["transcript"])

    detail = await agent.get(f"{TICKETS}/{ticket['id']}")
    assert detail.status_code == 200
    assert detail.json()["ticket"]["reference"] == ticket["reference"]
    contents = [m["content"] for m in detail.json()["messages"]]
    assert "My card still hasn't arrived" in contents and ticket["reference"] in contents[-1]


async def test_while_a_ticket_is_open_messages_wait_for_the_agent(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient
) -> None:
    cid, ticket = await handed_off(customer, agent)
    before = await history(customer, cid)
    assert before["status"] == "waiting_for_agent"
    assert before["ticket"]["reference"] == ticket["reference"]

    held = await say(customer, cid, "Are you there? My card still hasn't come")
    assert held.status_code == 202
    body = held.json()
    assert body["status"] == "waiting_for_agent" and body["message"] == WAITING
    assert body["ticket"]["reference"] == ticket["reference"]

    streamed = await say(customer, cid, "Hello?", headers={"Accept": "text/event-stream"})
    assert streamed.status_code == 200
    assert streamed.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(streamed.text)
    assert [name for name, _ in events] == ["waiting", "done"]
    assert events[1][1]["status"] == "waiting_for_agent"

    after = await history(customer, cid)
    # Both messages are in the history, and the bot said nothing after them.
    assert after["messages"][: len(before["messages"])] == before["messages"]
    added = after["messages"][len(before["messages"]) :]
    assert [(m["role"], m["content"]) for m in added] == [
        ("customer", "Are you there? My card still hasn't come"),
        ("customer", "Hello?"),
    ]
    assert after["turns"] == before["turns"]  # held messages are not bot turns


async def test_an_agent_replies_then_hands_the_customer_back_to_the_bot(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient
) -> None:
    cid, ticket = await handed_off(customer, agent)
    await say(customer, cid, "It was ordered three weeks ago")
    text = "Hi, I'm Ada from Harbor Bank. I've ordered a replacement card for you."
    posted = await agent.post(f"{TICKETS}/{ticket['id']}/replies", json={"text": text})
    assert posted.status_code == 201
    assert posted.json()["role"] == "agent" and posted.json()["content"] == text
    assert posted.json()["metadata"]["agent_id"] == AGENT

    seen = (await history(customer, cid))["messages"]
    assert (seen[-1]["role"], seen[-1]["content"]) == ("agent", text)
    assert seen[-1]["metadata"]["ticket"] == ticket["reference"]
    assert (seen[-2]["role"], seen[-2]["content"]) == ("customer", "It was ordered three weeks ago")

    closed = await agent.post(f"{TICKETS}/{ticket['id']}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed" and closed.json()["closed_by"] == AGENT
    back = await history(customer, cid)
    assert back["status"] == "bot" and back["ticket"] is None
    notice = back["messages"][-1]
    assert notice["role"] == "assistant" and "an AI system" in notice["content"]
    assert ticket["reference"] in notice["content"]

    # Closing again changes nothing and says nothing more.
    again = await agent.post(f"{TICKETS}/{ticket['id']}/close")
    assert again.status_code == 200 and again.json() == closed.json()
    assert (await history(customer, cid))["messages"] == back["messages"]

    answered = await say(customer, cid, "hello")
    assert answered.status_code == 200 and answered.json()["route"] == "smalltalk"
    assert answered.json()["answer"]

    late = await agent.post(f"{TICKETS}/{ticket['id']}/replies", json={"text": "One more"})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "ticket_closed"
    assert ticket["reference"] in late.json()["error"]["message"]

    listed = (await agent.get(TICKETS, params={"status": "closed"})).json()["tickets"]
    assert ticket["id"] in [t["id"] for t in listed]
    assert ticket["id"] not in [t["id"] for t in (await agent.get(TICKETS)).json()["tickets"]]


async def test_agent_endpoints_refuse_customers_and_other_tenants(
    app: FastAPI, settings: Settings, customer: httpx.AsyncClient, agent: httpx.AsyncClient
) -> None:
    _, ticket = await handed_off(customer, agent)
    one = f"{TICKETS}/{ticket['id']}"
    calls = [
        ("GET", TICKETS, None),
        ("GET", one, None),
        ("POST", f"{one}/replies", {"text": "hi"}),
        ("POST", f"{one}/close", None),
    ]
    for method, url, body in calls:
        refused = await customer.request(method, url, json=body)
        assert refused.status_code == 403, url
        assert refused.json()["error"]["code"] == "agents_only"

    async with client_for(app, settings, "agent_zed", role="agent", tenant="acme") as other:
        for method, url, body in calls[1:]:
            hidden = await other.request(method, url, json=body)
            assert hidden.status_code == 404, url
            assert hidden.json()["error"]["code"] == "ticket_not_found"
        assert ticket["id"] not in [t["id"] for t in (await other.get(TICKETS)).json()["tickets"]]
    # Neither refusal changed the ticket.
    assert (await agent.get(one)).json()["ticket"]["status"] == "open"


async def test_a_reply_must_say_something_within_the_length_limit(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient, settings: Settings
) -> None:
    _, ticket = await handed_off(customer, agent)
    replies = f"{TICKETS}/{ticket['id']}/replies"
    blank = await agent.post(replies, json={"text": "   "})
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "empty_message"
    long = await agent.post(replies, json={"text": "x" * (settings.max_message_chars + 1)})
    assert long.status_code == 422 and long.json()["error"]["code"] == "message_too_long"
    missing = await agent.post(replies, json={})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"


async def test_a_furious_customer_is_handed_to_a_person(
    customer: httpx.AsyncClient, agent: httpx.AsyncClient
) -> None:
    cid = (await customer.post("/v1/conversations")).json()["id"]
    angry = "This is absolutely ridiculous, your useless bank lost my card and I am furious!"
    reply = await say(customer, cid, angry)
    assert reply.status_code == 200 and reply.json()["route"] == "handoff"
    reference = reply.json()["metadata"]["ticket"]["reference"]
    [ticket] = [
        t for t in (await agent.get(TICKETS)).json()["tickets"] if t["conversation_id"] == cid
    ]
    assert ticket["reference"] == reference
    assert ticket["reason"].startswith("strongly negative sentiment")
