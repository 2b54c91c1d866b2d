"""What can go wrong at the gateway, in the caller's terms rather than LiteLLM's."""

from __future__ import annotations


class GatewayError(Exception):
    """Base class: the API maps these to 503 without knowing about LiteLLM."""


class GatewayConfigError(GatewayError):
    """`models.yaml` (or a setting that edits it) is unusable; the message names the file."""


class UnknownModelGroup(GatewayError):
    """The caller asked for a group that `models.yaml` never declared: a bug, not an outage."""

    def __init__(self, group: str, known: list[str]) -> None:
        super().__init__(f"unknown model group {group!r}; models.yaml declares {', '.join(known)}")
        self.group = group


class ModelGroupUnavailable(GatewayError):
    """Every deployment in the group's fallback chain failed, or none is configured."""

    def __init__(self, group: str, chain: tuple[str, ...], reason: str) -> None:
        tried = " -> ".join(chain) if chain else "no configured group"
        super().__init__(f"model group {group!r} cannot answer (tried {tried}): {reason}")
        self.group = group
        self.chain = chain


class DeadlineExceeded(GatewayError):
    """The caller's deadline for this turn passed before a deployment answered."""

    def __init__(self, group: str, tried: tuple[str, ...]) -> None:
        where = f"after trying {' -> '.join(tried)}" if tried else "before any call"
        super().__init__(f"model group {group!r}: the turn's deadline passed {where}")
        self.group = group
        self.tried = tried
