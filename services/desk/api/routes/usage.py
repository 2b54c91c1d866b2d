"""Usage: tokens and cost per model for the caller's tenant, this month, against its budget."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from desk.api.deps import DeskDep, StaffDep
from desk.turns import month_start

router = APIRouter(prefix="/v1/usage", tags=["usage"])


@router.get("")
async def usage(desk: DeskDep, staff: StaffDep) -> dict[str, Any]:
    """The tenant's spend, for its support agents and operators, never customers."""
    tenant = staff.tenant
    since = month_start()
    lines = await desk.records.usage_by_model(tenant, since)
    spent, avoided = await desk.records.spend_since(tenant, since)
    status = desk.budgets.assess(tenant, spent)
    return {
        "tenant": tenant,
        "since": since.isoformat(),
        "models": [
            {
                "model_group": line.model_group,
                "deployment": line.deployment,
                "model": line.model,
                "calls": line.calls,
                "prompt_tokens": line.prompt_tokens,
                "completion_tokens": line.completion_tokens,
                "cost_usd": round(line.cost_usd, 8),
                "avoided_usd": round(line.avoided_usd, 8),
            }
            for line in lines
        ],
        "total": {
            "calls": sum(line.calls for line in lines),
            "prompt_tokens": sum(line.prompt_tokens for line in lines),
            "completion_tokens": sum(line.completion_tokens for line in lines),
            "cost_usd": round(spent, 8),
            "avoided_usd": round(avoided, 8),
        },
        "budget": {
            "state": status.state,
            "soft_usd": status.budget.soft_usd,
            "hard_usd": status.budget.hard_usd,
        },
    }
