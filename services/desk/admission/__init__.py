"""Admission control: how many turns a process runs at once, who waits, who is refused."""

from desk.admission.controller import AdmissionController, Overloaded, Reservation, Slot
from desk.admission.limit import AdaptiveLimit, FixedLimit, Limit
from desk.admission.loop_lag import LoopLag
from supportdesk.config import Settings


def admission_controller(settings: Settings) -> AdmissionController:
    """The controller the settings describe; its `loop_lag` must run (`running()`) while
    it serves, for the adaptive limit and the lag metric."""
    lag = LoopLag()
    limit: Limit
    if settings.admission_adaptive:
        limit = AdaptiveLimit(
            settings.max_concurrent_turns,
            lag_s=lambda: lag.lag_s,
            minimum=settings.admission_min_turns,
            maximum=settings.admission_max_turns,
            tolerance=settings.admission_latency_tolerance,
            lag_target_s=settings.admission_lag_target_s,
        )
    else:
        limit = FixedLimit(settings.max_concurrent_turns)
    return AdmissionController(
        limit,
        max_queue=settings.admission_queue,
        max_wait_s=settings.admission_max_wait_s,
        loop_lag=lag,
    )


__all__ = [
    "AdaptiveLimit",
    "AdmissionController",
    "FixedLimit",
    "Limit",
    "LoopLag",
    "Overloaded",
    "Reservation",
    "Slot",
    "admission_controller",
]
