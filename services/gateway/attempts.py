"""What one request may spend walking its chain: provider calls and time.

The Router retries inside a group; the gateway moves between groups. Both draw on one
`CallBudget` and one deadline, so a request's cost has a bound set in `models.yaml`
(`max_calls_per_request`) and by the caller (`deadline`), whatever fails along the way.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import litellm

from gateway.config import GatewayConfig
from gateway.errors import DeadlineExceeded, ModelGroupUnavailable
from gateway.saturation import GroupSlots

logger = logging.getLogger(__name__)


@dataclass
class CallBudget:
    """Provider calls left for one request, reserved before each group is entered.

    A group is granted one call plus those of its retries the budget covers after keeping
    one call for each group still behind it in the chain: retries of a failing provider
    never starve the fallbacks. The reservation is the worst case (every retry spent), so
    the bound holds without knowing how many calls the Router really made.
    """

    left: int

    def reserve(self, retries_wanted: int, groups_behind: int) -> int | None:
        """Retries granted for the next group, or None when not even one call is left."""
        if self.left < 1:
            return None
        granted = max(0, min(retries_wanted, self.left - 1 - groups_behind))
        self.left -= 1 + granted
        return granted


def seconds_left(deadline: float | None) -> float | None:
    """Time until `deadline` (a `time.monotonic()` value); None when there is none."""
    return None if deadline is None else deadline - time.monotonic()


def hop_settings(
    config: GatewayConfig, group: str, retries: int, left_s: float | None, *, stream: bool
) -> dict[str, Any]:
    """Per-request Router arguments for one group: its retries, its timeouts capped by `left_s`.

    Router arguments given per request override every deployment's own, so the caps are
    only passed when there is a deadline; otherwise each deployment keeps its YAML timeouts.
    """
    settings: dict[str, Any] = {"num_retries": retries}
    if left_s is None:
        return settings
    timeout, stream_timeout = config.timeouts(group)
    settings["timeout"] = min(timeout, left_s) if timeout is not None else left_s
    if stream:
        first_token = stream_timeout if stream_timeout is not None else timeout
        settings["stream_timeout"] = min(first_token, left_s) if first_token else left_s
    return settings


class ChainWalk:
    """One request's way along its group's chain, within its call budget and deadline.

    A group that fails with a prompt too long for it hands over to its
    `context_window_fallbacks` (groups with larger windows) instead of the rest of its
    chain, whose smaller models would fail the same way.
    """

    def __init__(
        self,
        config: GatewayConfig,
        group: str,
        deadline: float | None,
        *,
        private: bool = False,
        turn_budget: CallBudget | None = None,
        slots: GroupSlots | None = None,
    ) -> None:
        self._config = config
        # A hop returned by next_hop holds one of its group's slots; the caller gives it
        # back (`slots.release(hop)`) when the call ends. Full groups are skipped.
        self._slots = slots
        self.saturated: list[str] = []
        self.group = group
        self.private = private
        # Private data never leaves infrastructure we run: managed groups are skipped and
        # the request falls back within the self-hosted and deterministic ones.
        self.chain = tuple(g for g in config.chain(group) if not private or self._keeps(g))
        self._deadline = deadline
        self._pending = list(self.chain)
        self._budget = CallBudget(config.max_calls_per_request)
        self._turn_budget = turn_budget
        self.tried: list[str] = []
        self.reason = (
            "no self-hosted deployment can take private data"
            if private and not self.chain
            else "no deployment is configured for it"
        )

    def _calls_providers(self, group: str) -> bool:
        return any(d.tier != "deterministic" for d in self._config.in_group(group))

    def _keeps(self, group: str) -> bool:
        return all(d.tier != "managed" for d in self._config.in_group(group))

    @property
    def entry(self) -> str:
        return self.chain[0]

    def seconds_left(self) -> float | None:
        return seconds_left(self._deadline)

    def next_hop(self, *, stream: bool) -> tuple[str, dict[str, Any]] | None:
        """The next group and its Router arguments; None when the chain or budget is spent."""
        if not self._pending:
            return None
        left = self.seconds_left()
        if left is not None and left <= 0:
            raise DeadlineExceeded(self.group, tuple(self.tried))
        if self._slots is not None and not self._slots.take(self._pending[0]):
            # Saturated: skip it without spending a call, as if it had failed at once.
            full = self._pending.pop(0)
            self.saturated.append(full)
            self.reason = f"{full} is at its concurrency limit"
            logger.info("group %s skipped for %s: every slot is in use", full, self.group)
            return self.next_hop(stream=stream)
        behind = len(self._pending) - 1
        retries = self._budget.reserve(self._config.retries(self._pending[0]), behind)
        if retries is None:
            self.reason += f"; max_calls_per_request ({self._config.max_calls_per_request}) spent"
            if self._slots is not None:
                self._slots.release(self._pending[0])
            return None
        if self._turn_budget is not None and self._calls_providers(self._pending[0]):
            providers_behind = sum(1 for g in self._pending[1:] if self._calls_providers(g))
            granted = self._turn_budget.reserve(retries, providers_behind)
            if granted is None:
                # The turn has spent its provider calls: skip to what needs none.
                skipped = self._pending.pop(0)
                if self._slots is not None:
                    self._slots.release(skipped)
                self.reason = f"max_calls_per_turn ({self._config.max_calls_per_turn}) spent"
                logger.warning("group %s skipped for %s: %s", skipped, self.group, self.reason)
                return self.next_hop(stream=stream)
            retries = granted
        hop = self._pending.pop(0)
        self.tried.append(hop)
        return hop, hop_settings(self._config, hop, retries, left, stream=stream)

    def failed(self, hop: str, error: Exception) -> None:
        self.reason = next(iter(str(error).splitlines()), type(error).__name__)
        logger.warning("group %s failed for %s: %s", hop, self.group, self.reason)
        if isinstance(error, litellm.ContextWindowExceededError):
            larger = self._config.context_window_chains.get(hop)
            if larger is not None:
                self._pending = [
                    g
                    for g in larger
                    if g not in self.tried and (not self.private or self._keeps(g))
                ]

    def unavailable(self) -> ModelGroupUnavailable:
        return ModelGroupUnavailable(self.group, self.chain, self.reason)
