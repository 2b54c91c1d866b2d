"""The bank as the desk's agents call it, each call in a span `bank {operation}`.

The span names the operation, the backend and the tenant, and how many rows a read
returned or whether a write changed anything; never a row's contents (names, balances,
card numbers stay in the systems of record).
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, cast

from bank.base import ActionRecord, Bank
from telemetry import names, span

# Lifecycle and probes, not the agents' calls: a readiness probe is not a trace.
UNTRACED = frozenset({"setup", "ping", "close", "load", "exclusive"})


class TracedBank:
    def __init__(self, bank: Bank) -> None:
        self._bank = bank

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._bank, name)
        if name in UNTRACED or name.startswith("_") or not inspect.iscoroutinefunction(attribute):
            return attribute

        @functools.wraps(attribute)
        async def call(*args: Any, **kwargs: Any) -> Any:
            tenant = kwargs.get("tenant", args[0] if args and isinstance(args[0], str) else None)
            attributes = {
                "db.system.name": self._bank.backend,
                "db.operation.name": name,
                names.TENANT: tenant,
            }
            with span(f"bank {name}", attributes) as current:
                result = await attribute(*args, **kwargs)
                if isinstance(result, list):
                    current.set_attribute("desk.bank.rows", len(result))
                elif isinstance(result, ActionRecord):
                    current.set_attribute("desk.bank.changed", result.changed)
                    current.set_attribute("desk.bank.replayed", result.replayed)
                else:
                    current.set_attribute("desk.bank.found", result is not None)
                return result

        return call


def traced(bank: Bank) -> Bank:
    return cast(Bank, TracedBank(bank))
