"""The cheapest possible 429: a new turn refused before routing, authentication or the body.

Through a spike most requests for a turn are refused, so a refusal must cost far less
than the turn it spares, and must come back at once (docs/adr/0021). While the admission
controller would refuse any tenant's turn (the queue is full, or its expected wait is over
what it can promise), this middleware answers a message POST with the same 429 and
Retry-After as the route would, without verifying the token, reading the body or touching
a row. When only some tenants would be refused (their fair share of the queue), the
request goes on to the route, which knows the tenant. Nothing else is ever refused here:
health checks, metrics, conversation reads and staff endpoints pass straight through.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from desk.api.errors import rejection_response
from desk.turns import TurnGate, TurnRejected

TURN = re.compile(r"^/v1/conversations/[^/]+/messages/?$")
ANY_TENANT = ""


class ShedWhenOverloaded:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and TURN.match(scope["path"]):
            gate: TurnGate | None = getattr(scope["app"].state, "gate", None)
            try:
                if gate is not None:
                    gate.shed_early(ANY_TENANT)
            except TurnRejected as rejected:
                await rejection_response(rejected)(scope, receive, send)
                return
        await self.app(scope, receive, send)
