"""Summary statistics shared by the eval reports, kept free of numpy so plain lists will do."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in 0..100) by linear interpolation between closest ranks, as
    numpy.percentile does by default; 0.0 for an empty sequence."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0..100, got {q}")
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    fraction = position - below
    low, high = ordered[below], ordered[above]
    # numpy's lerp form: interpolating from the nearer end keeps results monotonic in q and
    # exact at the ends when low and high differ greatly in magnitude.
    if fraction >= 0.5:
        return high - (high - low) * (1 - fraction)
    return low + (high - low) * fraction
