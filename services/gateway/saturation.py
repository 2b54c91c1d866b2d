"""A bulkhead per model group: calls in flight from this process, up to the group's
capacity (`GatewayConfig.capacity`).

A group that is full is not waited for: the gateway skips it like a group that failed,
and the chain's next group answers (in the end the extractive responder, which needs no
slot). Under a spike the model tier stays at the load it can serve, and the turns beyond
it get a quoted answer now instead of a generated one late (docs/adr/0021).
"""

from __future__ import annotations

from collections import Counter

from gateway.config import GatewayConfig
from telemetry.instruments import instruments


class GroupSlots:
    def __init__(self, config: GatewayConfig) -> None:
        self._config = config
        self._in_use: Counter[str] = Counter()

    def take(self, group: str) -> bool:
        """A slot in `group`, if one is free (always, for groups that call no model)."""
        capacity = self._config.capacity(group)
        if capacity is None:
            return True
        if self._in_use[group] >= capacity:
            instruments().saturated.add(1, {"desk.gateway.group": group})
            return False
        self._in_use[group] += 1
        return True

    def release(self, group: str) -> None:
        if self._config.capacity(group) is not None and self._in_use[group] > 0:
            self._in_use[group] -= 1

    def in_use(self, group: str) -> int:
        return self._in_use[group]
