"""The authenticated caller, as every route and tool sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["customer", "agent"]


@dataclass(frozen=True)
class Principal:
    """A customer of a tenant, or a support agent of a tenant (a person who takes tickets)."""

    tenant: str
    subject: str  # the customer id for customers, the agent's id for agents
    role: Role = "customer"

    @property
    def customer_id(self) -> str | None:
        return self.subject if self.role == "customer" else None
