"""The authenticated caller, as every route and tool sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["customer", "agent", "operator"]


@dataclass(frozen=True)
class Principal:
    """A customer of a tenant, a support agent (a person who takes tickets), or an operator
    (who reads the tenant's audit trail and spend: compliance, on-call; no conversations)."""

    tenant: str
    subject: str  # the customer's, agent's or operator's id
    role: Role = "customer"

    @property
    def customer_id(self) -> str | None:
        return self.subject if self.role == "customer" else None
