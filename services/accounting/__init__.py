"""What conversations cost: each model call priced, summed per turn, conversation and tenant.

`MeteredGateway` wraps the gateway the agents use and records every call into the
turn's `TurnMeter`; the desk writes the meter to the usage ledger when the turn ends
and checks each tenant's budget before the next one starts.
"""

from accounting.budgets import Budget, BudgetExceeded, BudgetPolicy, BudgetStatus
from accounting.meter import (
    MeteredGateway,
    ModelCall,
    TurnMeter,
    TurnTokensSpent,
    current_meter,
    metering,
    start_turn_meter,
)
from accounting.pricing import Pricing

__all__ = [
    "Budget",
    "BudgetExceeded",
    "BudgetPolicy",
    "BudgetStatus",
    "MeteredGateway",
    "ModelCall",
    "Pricing",
    "TurnMeter",
    "TurnTokensSpent",
    "current_meter",
    "metering",
    "start_turn_meter",
]
