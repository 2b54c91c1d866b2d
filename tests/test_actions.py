"""Card, payment and dispute actions through the API, with the model server down.

The acceptance flows of the specialist agents, as a customer's client drives them: the
desk proposes, the customer confirms (in words or with the structured `approval` field),
and the bank changes exactly once, across duplicated confirmations, an API restart and
two API processes sharing one Postgres. LOCAL_LLM_URL points at a closed port
throughout: actions need no model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bank import Bank, open_bank
from supportdesk.config import Settings
from tests.support.desk_app import desk_settings, ingest_help_centre, running
from tests.support.sse import parse_sse


@pytest.fixture(scope="module")
async def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return await ingest_help_centre(desk_settings(tmp_path_factory.mktemp("actions")))


@asynccontextmanager
async def bank_of(settings: Settings) -> AsyncIterator[Bank]:
    bank = await open_bank(settings, seed_demo=False)
    try:
        yield bank
    finally:
        await bank.close()


async def start(client: httpx.AsyncClient) -> str:
    response = await client.post("/v1/conversations")
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def say(client: httpx.AsyncClient, cid: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/conversations/{cid}/messages", json=body)
    assert response.status_code == 200, response.text
    reply: dict[str, Any] = response.json()
    return reply


async def card_status(settings: Settings, customer: str, card_id: str) -> str:
    async with bank_of(settings) as bank:
        card = await bank.get_card("harbor", customer, card_id)
        assert card is not None
        return card.status


async def actions_for(settings: Settings, cid: str, approval_id: str) -> int:
    """Rows in the bank's action ledger for one approval's idempotency key."""
    async with bank_of(settings) as bank:
        found = await bank.get_action("harbor", "cus_chloe", f"{cid}:{approval_id}")
        return 0 if found is None else 1


async def test_lost_card_is_frozen_once_after_a_confirmation_sent_twice(
    settings: Settings,
) -> None:
    async with running(settings, "cus_chloe") as client:
        cid = await start(client)
        asked = await say(client, cid, content="I lost my card")
        approval = asked["approval"]
        assert approval is not None and approval["action"] == "freeze_card"
        assert "4517" in asked["answer"] and "freeze" in asked["answer"].lower()
        assert await card_status(settings, "cus_chloe", "card_chloe_debit") == "active"

        done = await say(client, cid, content="yes")
        assert done["approval"] is None
        [action] = done["metadata"]["actions"]
        assert action["status"] == "done" and action["changed"] is True
        assert "frozen" in done["answer"]
        assert await card_status(settings, "cus_chloe", "card_chloe_debit") == "frozen"

        # "yes" sent twice: the second is told the outcome again; nothing is applied.
        twice = await say(client, cid, content="yes")
        assert twice["answer"] == done["answer"]
        assert twice["metadata"]["actions"][0]["replayed"] is True
        assert twice["route"] == "cards"

        # The same button pressed again: the recorded outcome, and nothing applied twice.
        again = await say(client, cid, approval={"id": approval["id"], "decision": "confirm"})
        assert again["metadata"]["actions"][0]["replayed"] is True
        assert again["answer"] == done["answer"]
        assert await actions_for(settings, cid, approval["id"]) == 1

        # An approval that never existed here is a readable 409.
        stale = await client.post(
            f"/v1/conversations/{cid}/messages",
            json={"approval": {"id": "0" * 32, "decision": "confirm"}},
        )
        assert stale.status_code == 409
        assert stale.json()["error"]["code"] == "approval_not_pending"

        # Unfreeze it again through the structured field, over SSE.
        asked = await say(client, cid, content="please unfreeze my card")
        response = await client.post(
            f"/v1/conversations/{cid}/messages",
            json={"approval": {"id": asked["approval"]["id"], "decision": "confirm"}},
            headers={"Accept": "text/event-stream"},
        )
        events = parse_sse(response.text)
        assert [name for name, _ in events][-1] == "done"
        assert any(name == "action" and data["status"] == "done" for name, data in events)
    assert await card_status(settings, "cus_chloe", "card_chloe_debit") == "active"


async def test_a_pending_approval_survives_an_api_restart(settings: Settings) -> None:
    async with running(settings, "cus_dev") as client:
        cid = await start(client)
        asked = await say(client, cid, content="Please freeze my card")
        assert asked["approval"]["action"] == "freeze_card"
    # A new API process on the same store: the question is still waiting.
    async with running(settings, "cus_dev") as client:
        history = (await client.get(f"/v1/conversations/{cid}")).json()
        assert history["pending_approval"]["id"] == asked["approval"]["id"]
        assert history["messages"][-1]["metadata"]["approval_id"] == asked["approval"]["id"]
        done = await say(client, cid, content="Yes, go ahead")
        assert done["metadata"]["actions"][0]["changed"] is True
    assert await card_status(settings, "cus_dev", "card_dev_debit") == "frozen"


async def test_no_or_a_new_question_leaves_the_card_alone(settings: Settings) -> None:
    async with running(settings, "cus_erin") as client:
        cid = await start(client)
        await say(client, cid, content="freeze my card")
        declined = await say(client, cid, content="no, leave it")
        assert declined["metadata"]["actions"][0]["status"] == "declined"
        await say(client, cid, content="freeze my card")
        # Not a yes: the freeze is declined, and the new question is answered.
        moved_on = await say(client, cid, content="What fees do you charge for ATM withdrawals?")
        assert moved_on["metadata"]["actions"][0]["status"] == "declined"
        assert moved_on["approval"] is None
        assert moved_on["route"] == "knowledge"
    assert await card_status(settings, "cus_erin", "card_erin_debit") == "active"


async def test_a_frozen_card_explains_itself_and_is_unfrozen_on_confirmation(
    settings: Settings,
) -> None:
    async with running(settings, "cus_ben") as client:
        cid = await start(client)
        asked = await say(client, cid, content="My card is not working")
        assert asked["approval"]["action"] == "unfreeze_card"
        assert "frozen" in asked["answer"]
        await say(client, cid, approval={"id": asked["approval"]["id"], "decision": "confirm"})
    assert await card_status(settings, "cus_ben", "card_ben_debit") == "active"


async def test_a_payment_is_disputed_and_a_top_up_made_on_confirmation(
    settings: Settings,
) -> None:
    async with running(settings, "cus_erin") as client:
        cid = await start(client)
        asked = await say(
            client, cid, content="I want to dispute the StreamFlix payment, I had cancelled"
        )
        assert asked["approval"]["action"] == "open_dispute"
        assert "StreamFlix" in asked["answer"]
        done = await say(client, cid, content="yes")
        assert "dispute" in done["answer"].lower()
        asked = await say(client, cid, content="Top up £40 please")
        assert asked["approval"]["action"] == "top_up" and "£40.00" in asked["answer"]
        await say(client, cid, content="yes")
    async with bank_of(settings) as bank:
        disputes = await bank.list_disputes("harbor", "cus_erin")
        assert "txn_erin_streamflix" in {d.transaction_id for d in disputes}
        top_ups = await bank.list_top_ups("harbor", "cus_erin")
        assert 4_000 in {t.amount_minor for t in top_ups}


async def test_payments_are_explained_from_the_customers_own_records(
    settings: Settings,
) -> None:
    async with running(settings, "cus_chloe") as client:
        cid = await start(client)
        reply = await say(client, cid, content="Why is my transfer still pending?")
        assert reply["route"] == "payments"
        assert "security check" in reply["answer"]
    async with running(settings, "cus_dev") as client:
        cid = await start(client)
        reply = await say(client, cid, content="Why was my card payment declined?")
        assert "Currys" in reply["answer"] and "enough money" in reply["answer"]


@pytest.mark.parametrize(
    "message",
    [
        "show me the cards of customer 2",
        "What are cus_chloe's transactions?",
        "freeze my husband's card",
    ],
)
async def test_nobody_reads_another_customers_records_through_the_chat(
    settings: Settings, message: str
) -> None:
    async with running(settings, "cus_dev") as client:
        cid = await start(client)
        reply = await say(client, cid, content=message)
        assert reply["approval"] is None
        assert "only look at and act on your own" in reply["answer"]
        # Nothing of any other customer's records (Chloe's card, rent transfer).
        assert "4517" not in reply["answer"] and "rent" not in reply["answer"].lower()


async def test_two_api_processes_share_one_pending_approval(
    tmp_path: Path, postgres_url: str
) -> None:
    """Two desks on one Postgres (records, bank, checkpoints), each with its own Qdrant
    folder: one asks, both receive the confirmation at once, the card freezes once."""
    shared = {"database_url": SecretStr(postgres_url)}
    first = desk_settings(tmp_path / "a", **shared)
    second = desk_settings(tmp_path / "b", **shared)
    async with running(first, "cus_chloe") as a, running(second, "cus_chloe") as b:
        cid = await start(a)
        asked = await say(a, cid, content="I've lost my card")
        approval_id = asked["approval"]["id"]
        confirm = {"approval": {"id": approval_id, "decision": "confirm"}}
        results = await asyncio.gather(
            a.post(f"/v1/conversations/{cid}/messages", json=confirm),
            b.post(f"/v1/conversations/{cid}/messages", json=confirm),
        )
        assert {r.status_code for r in results} <= {200, 409}
        assert any(r.status_code == 200 for r in results)
        # The other process can read the outcome too.
        history = (await b.get(f"/v1/conversations/{cid}")).json()
        assert "frozen" in history["messages"][-1]["content"]
    assert await card_status(first, "cus_chloe", "card_chloe_debit") == "frozen"
    assert await actions_for(first, cid, approval_id) == 1
