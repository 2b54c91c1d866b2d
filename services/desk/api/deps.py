"""Dependency aliases shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from desk.auth import AuthError, Principal, TokenVerifier
from desk.bootstrap import Desk
from desk.turns import TurnGate
from supportdesk.config import Settings


# The dependencies are coroutines though they do not await: FastAPI runs a plain function
# dependency in its thread pool, a thread hop on every request.
async def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


async def get_gate(request: Request) -> TurnGate:
    gate: TurnGate = request.app.state.gate
    return gate


async def get_settings(request: Request) -> Settings:
    desk: Desk = request.app.state.desk
    return desk.settings


_bearer = HTTPBearer(
    auto_error=False,
    description="A JWT with sub, tenant, role, iss, aud and exp (`supportdesk token` mints one).",
)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The verified caller; 401 with a reason when there is no valid bearer token."""
    if credentials is None:
        raise unauthenticated(
            "This endpoint needs 'Authorization: Bearer <token>'. "
            "In development, `supportdesk token --customer cus_alice` prints one."
        )
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return await verifier.verify(credentials.credentials)
    except AuthError as exc:
        raise unauthenticated(str(exc)) from exc


def unauthenticated(message: str) -> HTTPException:
    return HTTPException(
        401,
        {"code": "unauthenticated", "message": message},
        headers={"WWW-Authenticate": "Bearer"},
    )


async def current_customer(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.role != "customer":
        raise HTTPException(
            403,
            {
                "code": "customers_only",
                "message": "Conversations are held by customers; agents use /v1/agent/.",
            },
        )
    return principal


async def current_agent(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.role != "agent":
        raise HTTPException(
            403,
            {"code": "agents_only", "message": "This endpoint is for support agents."},
        )
    return principal


async def current_operator(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.role != "operator":
        raise HTTPException(
            403,
            {
                "code": "operators_only",
                "message": "The audit trail is for operators; `supportdesk token --operator "
                "ID` mints a development token.",
            },
        )
    return principal


async def current_staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.role not in ("agent", "operator"):
        raise HTTPException(
            403,
            {"code": "staff_only", "message": "This endpoint is for support agents and operators."},
        )
    return principal


async def current_tenant(principal: Annotated[Principal, Depends(current_principal)]) -> str:
    return principal.tenant


DeskDep = Annotated[Desk, Depends(get_desk)]
GateDep = Annotated[TurnGate, Depends(get_gate)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
CustomerDep = Annotated[Principal, Depends(current_customer)]
AgentDep = Annotated[Principal, Depends(current_agent)]
OperatorDep = Annotated[Principal, Depends(current_operator)]
StaffDep = Annotated[Principal, Depends(current_staff)]
TenantDep = Annotated[str, Depends(current_tenant)]
