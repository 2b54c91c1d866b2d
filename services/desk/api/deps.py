"""Dependency aliases shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from desk.bootstrap import Desk
from desk.turns import TurnGate
from supportdesk.config import Settings


def get_desk(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def get_gate(request: Request) -> TurnGate:
    gate: TurnGate = request.app.state.gate
    return gate


def get_settings(request: Request) -> Settings:
    return get_desk(request).settings


def current_tenant(request: Request) -> str:
    """The tenant of the caller. Until authentication lands, every caller is the default tenant."""
    return get_settings(request).tenant


DeskDep = Annotated[Desk, Depends(get_desk)]
GateDep = Annotated[TurnGate, Depends(get_gate)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
TenantDep = Annotated[str, Depends(current_tenant)]
