"""Personal data is masked in what reaches a managed deployment, per hop of the chain.

The managed primary (`answer`) and the self-hosted tier (`answer-local`) are each played
by a fake upstream that keeps every request body, so the tests read exactly what each
provider was sent (tests/test_gateway_faults.py has the same chain).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway import Gateway, TextDelta
from gateway.config import load_gateway_config
from supportdesk.config import Settings
from tests.support.fake_upstream import (
    Behaviour,
    FakeUpstream,
    Script,
    chain_models_yaml,
    running_fake_upstream,
)
from tests.test_gateway_embedding_faults import embed_only_yaml
from tests.test_gateway_faults import LOCAL_REPLY, METADATA, PRIMARY_REPLY, Desk

ROOT = Path(__file__).resolve().parents[1]
BANK_PHONE = "+44 20 7946 0123"
QUESTION = (
    "My card 4111 1111 1111 1111 was charged twice, write to sam@example.com or call "
    "07700 900123. Your number is " + BANK_PHONE + ", right?"
)
MASKED = (
    "My card [CARD_NUMBER] was charged twice, write to [EMAIL] or call [PHONE]. Your number "
    "is " + BANK_PHONE + ", right?"
)
MESSAGES = [
    {"role": "system", "content": "Answer from the sources. Call us on " + BANK_PHONE + "."},
    {"role": "user", "content": QUESTION},
]


@asynccontextmanager
async def chain(tmp_path: Path) -> AsyncIterator[Desk]:
    async with (
        running_fake_upstream(Script(reply=PRIMARY_REPLY)) as primary,
        running_fake_upstream(Script(reply=LOCAL_REPLY)) as local,
    ):
        path = tmp_path / "models.yaml"
        path.write_text(chain_models_yaml(primary.url, local.url))
        gateway = Gateway(
            load_gateway_config(Settings(gateway_config=path), environ={}),
            default_max_tokens=32,
            redact_allow=[BANK_PHONE],
        )
        try:
            yield Desk(gateway, primary, local)
        finally:
            await gateway.aclose()


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Desk]:
    async with chain(tmp_path) as running:
        yield running


def sent(upstream: FakeUpstream, path: str = "/v1/chat/completions") -> list[Any]:
    return [request.body for request in upstream.calls(path)]


async def test_the_managed_hop_reads_placeholders_and_the_bank_s_own_number(desk: Desk) -> None:
    completion = await desk.gateway.complete("answer", MESSAGES)

    assert completion.text == PRIMARY_REPLY
    [body] = sent(desk.primary)
    assert [m["content"] for m in body["messages"]] == [MESSAGES[0]["content"], MASKED]
    assert "4111" not in json.dumps(body) and "sam@example.com" not in json.dumps(body)


async def test_a_self_hosted_fallback_still_reads_the_original(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("500")

    completion = await desk.gateway.complete("answer", MESSAGES)

    assert completion.model_group == "answer-local"
    assert all(body["messages"][1]["content"] == MASKED for body in sent(desk.primary))
    [local] = sent(desk.local)
    assert local["messages"] == MESSAGES


async def test_a_stream_is_masked_for_the_managed_hop_only(desk: Desk) -> None:
    desk.primary.script.then.append(Behaviour("503"))
    desk.primary.script.otherwise = Behaviour("503")
    text = ""
    async for event in desk.gateway.stream("answer", MESSAGES):
        if isinstance(event, TextDelta):
            text += event.text

    assert text == LOCAL_REPLY
    assert {body["messages"][1]["content"] for body in sent(desk.primary)} == {MASKED}
    assert [body["messages"] for body in sent(desk.local)] == [MESSAGES]


async def test_the_extractive_tier_answers_from_metadata_whatever_was_masked(desk: Desk) -> None:
    desk.primary.script.otherwise = Behaviour("500")
    desk.local.script.otherwise = Behaviour("500")

    completion = await desk.gateway.complete("answer", MESSAGES, metadata=METADATA)

    assert completion.model_group == "answer-extractive"
    assert completion.text.startswith("You can freeze your card in the app [1].")


async def test_private_tenants_still_never_reach_the_managed_hop(desk: Desk) -> None:
    completion = await desk.gateway.complete("answer", MESSAGES, private=True)

    assert completion.model_group == "answer-local" and sent(desk.primary) == []
    assert sent(desk.local)[0]["messages"] == MESSAGES


async def test_a_hosted_embedding_model_embeds_the_masked_text(tmp_path: Path) -> None:
    async with running_fake_upstream(Script()) as upstream:
        path = tmp_path / "models.yaml"
        path.write_text(embed_only_yaml(upstream.url))
        gateway = Gateway(
            load_gateway_config(Settings(gateway_config=path), environ={}),
            default_max_tokens=8,
            redact_allow=[BANK_PHONE],
        )
        try:
            await gateway.embedder.embed([QUESTION, "How do I freeze my card?"])
        finally:
            await gateway.aclose()

    [body] = sent(upstream, "/v1/embeddings")
    assert body["input"] == [MASKED, "How do I freeze my card?"]


# A conversation id (uuid4 hex) with a run of 8+ digits inside it.
CID = "9f3a4123886702c1d1e2f3a4b5c6d7e8"
LOGGING_SCRIPT = """
import logging, logging.config, sys
from uvicorn.config import LOGGING_CONFIG
from supportdesk.cli import configure_logging
from supportdesk.config import Settings

configure_logging(Settings(_env_file=None))
import litellm  # after, as in the CLI: it adds a handler of its own to "LiteLLM"
logging.getLogger("desk").warning("customer paid with %s from %s", sys.argv[1], sys.argv[2])
logging.getLogger("LiteLLM").warning("request failed for IBAN GB82 WEST 1234 5698 7654 32")
try:
    raise ValueError("sort code 20-00-00 account 31926819")
except ValueError:
    logging.getLogger("desk").exception("turn failed")
logging.config.dictConfig(LOGGING_CONFIG)  # what uvicorn does when it starts
logging.getLogger("uvicorn.error").info("client sam@example.com connected")
logging.getLogger("uvicorn.access").info(
    '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", "/v1/x?card=4111111111111111", "1.1", 404
)
logging.getLogger("desk").info("call us on +44 20 7946 0123")
logging.getLogger("desk").info("conversation %s of %s", sys.argv[3], "cus_12345678")
"""


def test_the_command_line_never_logs_personal_data(tmp_path: Path) -> None:
    """The real logging set-up of `supportdesk`, in its own process: LiteLLM's and
    uvicorn's own handlers included, tracebacks and uvicorn's access log too."""
    result = subprocess.run(
        [sys.executable, "-c", LOGGING_SCRIPT, "4111 1111 1111 1111", "jo@example.org", CID],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": f"{ROOT / 'services'}:{ROOT}"},
        timeout=120,
        check=True,
    )
    logs = result.stdout + result.stderr
    for value in ("4111", "example.org", "GB82", "20-00-00", "31926819", "sam@example.com"):
        assert value not in logs
    for placeholder in ("[CARD_NUMBER]", "[EMAIL]", "[IBAN]", "[SORT_CODE]", "[ACCOUNT_NUMBER]"):
        assert placeholder in logs
    assert "GET /v1/x?card=[CARD_NUMBER] HTTP/1.1" in logs  # the access line, still whole
    assert "call us on +44 20 7946 0123" in logs  # the bank's own number is not personal data
    assert f"conversation {CID} of cus_12345678" in logs  # digits inside ids stay: greppable
