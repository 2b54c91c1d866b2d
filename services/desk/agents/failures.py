"""How an agent ends a turn it cannot finish honestly."""

from __future__ import annotations


class AnswerInterrupted(Exception):
    """The model failed after part of its answer reached the customer.

    The part shown cannot be taken back, and a second answer appended to it would read as
    one corrupted reply, so the turn ends here: the API sends one `error` event, the turn
    is recorded as failed, and the customer may send the message again.
    """

    def __init__(self, reason: str, *, retryable: bool, shown: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.shown = shown
