"""Graceful degradation through the API: while the managed model's slots are all in use,
a knowledge question is answered from the help centre at once, and the reply says so;
actions, which need no model, keep working. The fake upstream holds the one allowed call
open for as long as the test needs, so nothing here depends on timing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from desk.agents.replies import BUSY_NOTE
from desk.api.app import create_app
from tests.support.desk_app import client_for, desk_settings, ingest_help_centre
from tests.support.fake_upstream import (
    Behaviour,
    Script,
    chain_models_yaml,
    running_fake_upstream,
    unused_url,
)

QUESTION = "My card still hasn't arrived, what should I do?"


async def test_a_busy_model_tier_degrades_answers_and_leaves_actions_working(
    tmp_path: Path,
) -> None:
    script = Script(then=[Behaviour("hang")])
    async with running_fake_upstream(script) as primary:
        config = tmp_path / "models.yaml"
        config.write_text(
            chain_models_yaml(primary.url, unused_url(), timeout_s=120, primary_slots=1)
        )
        settings = await ingest_help_centre(desk_settings(tmp_path / "data", gateway_config=config))
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            client_for(app, settings, "cus_newcomer") as newcomer,
            client_for(app, settings, "cus_chloe") as chloe,
        ):
            first, second = [(await newcomer.post("/v1/conversations")).json()["id"] for _ in "ab"]
            held = asyncio.create_task(
                newcomer.post(f"/v1/conversations/{first}/messages", json={"content": QUESTION})
            )
            for _ in range(3000):
                if primary.calls():
                    break
                await asyncio.sleep(0.01)
            assert len(primary.calls()) == 1  # the one slot is taken, and held

            busy = await newcomer.post(
                f"/v1/conversations/{second}/messages", json={"content": QUESTION}
            )
            assert busy.status_code == 200, busy.text
            reply = busy.json()
            assert reply["answer"].endswith(BUSY_NOTE)
            assert reply["citations"]  # still grounded: quoted from the help centre
            assert reply["metadata"]["degraded"] == "busy"
            assert reply["metadata"]["answered_by"]["tier"] == "deterministic"
            assert len(primary.calls()) == 1  # the full tier was not asked

            # Actions need no model: a card is frozen as usual meanwhile.
            cid = (await chloe.post("/v1/conversations")).json()["id"]
            url = f"/v1/conversations/{cid}/messages"
            asked = (await chloe.post(url, json={"content": "I lost my card"})).json()
            assert asked["approval"]["action"] == "freeze_card"
            done = (await chloe.post(url, json={"content": "yes"})).json()
            assert done["metadata"]["actions"][0]["status"] == "done"

            primary.closing.set()  # the held call fails; that turn falls back and answers
            assert (await held).status_code == 200
