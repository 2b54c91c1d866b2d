"""Per-tenant monthly budgets: a soft limit that warns, a hard limit that refuses turns."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    soft_usd: float | None = None
    hard_usd: float | None = None


@dataclass(frozen=True)
class BudgetStatus:
    state: Literal["ok", "soft_limit", "hard_limit"]
    spent_usd: float
    budget: Budget


class BudgetExceeded(Exception):
    def __init__(self, tenant: str, status: BudgetStatus) -> None:
        limit = status.budget.hard_usd
        super().__init__(
            f"Tenant '{tenant}' has used ${status.spent_usd:.2f} of its ${limit:.2f} monthly "
            "model budget, so the desk is not taking new messages for it until the budget "
            "is raised or the month ends."
        )
        self.tenant = tenant
        self.status = status


class BudgetPolicy:
    def __init__(self, default: Budget, per_tenant: dict[str, Budget] | None = None) -> None:
        self._default = default
        self._per_tenant = per_tenant or {}

    def budget_for(self, tenant: str) -> Budget:
        return self._per_tenant.get(tenant, self._default)

    def assess(self, tenant: str, spent_usd: float) -> BudgetStatus:
        budget = self.budget_for(tenant)
        if budget.hard_usd is not None and spent_usd >= budget.hard_usd:
            return BudgetStatus("hard_limit", spent_usd, budget)
        if budget.soft_usd is not None and spent_usd >= budget.soft_usd:
            log.warning(
                "tenant %s is over its soft budget: $%.4f of $%.2f this month",
                tenant,
                spent_usd,
                budget.soft_usd,
            )
            return BudgetStatus("soft_limit", spent_usd, budget)
        return BudgetStatus("ok", spent_usd, budget)
