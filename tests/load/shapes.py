"""Load shapes, as phases of simulated customers (each sends a message a second on average).

baseline: `base` customers throughout. spike: `base`, then ten times as many at once,
then `base` again (the 10x spike of docs/adr/0021). soak: `base` for half an hour.
capacity: steps of 1, 2, 4 ... 32 clients that each send their next request as soon as
the last is answered, a quarter phase each, to find where shedding begins.
`LOAD_BASE_USERS` (3) and `LOAD_PHASE_S` (60) scale them for shorter trial runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CAPACITY_STEPS = (1, 2, 4, 8, 16, 32)


@dataclass(frozen=True)
class Phase:
    name: str
    seconds: float
    users: int


def phases(shape: str, base: int | None = None, phase_s: float | None = None) -> list[Phase]:
    base = base or int(os.environ.get("LOAD_BASE_USERS", "3"))
    phase_s = phase_s or float(os.environ.get("LOAD_PHASE_S", "60"))
    if shape == "baseline":
        return [Phase("baseline", 1.5 * phase_s, base)]
    if shape == "spike":
        return [
            Phase("baseline", phase_s, base),
            Phase("spike", phase_s, 10 * base),
            Phase("after", phase_s, base),
        ]
    if shape == "soak":
        return [Phase("soak", 30 * phase_s, base)]
    if shape == "capacity":
        return [Phase(f"{n} at once", phase_s / 4, n) for n in CAPACITY_STEPS]
    raise ValueError(f"unknown load shape {shape!r}: baseline, spike, soak or capacity")
