"""Typed refusals. Each message is written to be read to the customer as it is."""

from __future__ import annotations


class BankError(Exception):
    """The bank refused a request; nothing was changed."""

    code = "bank_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BankError):
    """No such row *for this customer*: the same answer whether or not it exists elsewhere."""

    code = "not_found"


class NotAllowed(BankError):
    """The row exists but its state forbids the action (a pending payment, a lost card)."""

    code = "not_allowed"


class InvalidRequest(BankError):
    """The request itself is malformed: an unknown reason, a zero amount, an empty key."""

    code = "invalid_request"


class LimitExceeded(BankError):
    """Over a limit (one top-up, a day's top-ups)."""

    code = "limit_exceeded"


class IdempotencyConflict(BankError):
    """The idempotency key was already used for a different request."""

    code = "idempotency_conflict"
