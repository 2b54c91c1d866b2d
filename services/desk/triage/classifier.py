"""The model fallback: how triage asks a model for a route, and how it reads the answer.

The desk passes `ask_gateway(gateway)`, which calls the gateway's `triage` model group;
tests pass any async function. The answer must be one route label: a model can only pick
among routes the customer could ask for directly, so a message that talks the model into
a label gains nothing that saying "I want a person" would not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Final, Protocol

from desk.triage.routes import Route

log = logging.getLogger(__name__)

ChatMessage = dict[str, str]
AskModel = Callable[[list[ChatMessage]], Awaitable[str]]
"""Sends chat messages to a model and returns its reply text."""

TRIAGE_GROUP: Final = "triage"
# The longest label, "out_of_scope", is four or five tokens in common tokenizers.
LABEL_MAX_TOKENS: Final = 8


class Completion(Protocol):
    @property
    def text(self) -> str: ...


class ChatGateway(Protocol):
    """The part of the model gateway triage uses."""

    async def complete(
        self, group: str, messages: list[ChatMessage], *, max_tokens: int, temperature: float
    ) -> Completion: ...


def ask_gateway(gateway: ChatGateway, group: str = TRIAGE_GROUP) -> AskModel:
    async def ask(messages: list[ChatMessage]) -> str:
        completion = await gateway.complete(
            group, messages, max_tokens=LABEL_MAX_TOKENS, temperature=0.0
        )
        return completion.text

    return ask


async def ask_for_route(
    ask_model: AskModel, messages: list[ChatMessage], routes: Iterable[Route], timeout_s: float
) -> Route | None:
    """The model's route, or None when it fails, is too slow or answers anything else."""
    try:
        async with asyncio.timeout(timeout_s):
            answer = await ask_model(messages)
    except TimeoutError:
        log.warning("triage model gave no answer within %.1f s", timeout_s)
        return None
    except Exception as exc:  # Any model failure degrades to the example router's decision.
        log.warning("triage model failed: %s: %s", type(exc).__name__, exc)
        return None
    route = parse_route(answer, routes)
    if route is None:
        # The reply is not logged: it may repeat what the customer wrote.
        log.warning("triage model answered %d characters that are not a label", len(answer))
    return route


def parse_route(answer: str, routes: Iterable[Route]) -> Route | None:
    """One label, any case; surrounding whitespace, quotes and a final full stop are allowed
    because chat models add them. Anything more (a sentence, two labels) is refused."""
    label = answer.strip().strip("\"'`").removesuffix(".").strip().lower()
    return next((route for route in routes if route.value == label), None)
