"""Admission control: how many turns a process runs at once, who waits, who is refused."""

from desk.admission.controller import AdmissionController, Overloaded, Slot
from desk.admission.limit import FixedLimit, GradientLimit, Limit
from supportdesk.config import Settings


def admission_controller(settings: Settings) -> AdmissionController:
    limit: Limit
    if settings.admission_adaptive:
        limit = GradientLimit(
            settings.max_concurrent_turns,
            minimum=settings.admission_min_turns,
            maximum=settings.admission_max_turns,
        )
    else:
        limit = FixedLimit(settings.max_concurrent_turns)
    return AdmissionController(
        limit, max_queue=settings.admission_queue, max_wait_s=settings.admission_max_wait_s
    )


__all__ = [
    "AdmissionController",
    "FixedLimit",
    "GradientLimit",
    "Limit",
    "Overloaded",
    "Slot",
    "admission_controller",
]
