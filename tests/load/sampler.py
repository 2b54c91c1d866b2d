"""Samples the desk's /metrics (turns in flight and queued, the limit, cache lookups, the
event loop's mean lag since the last sample) and the API process's memory once a second."""

from __future__ import annotations

import csv
import threading
import time
from pathlib import Path

import httpx

GAUGES = {
    "desk_turns_in_flight": "in_flight",
    "desk_turns_waiting": "waiting",
    "desk_admission_limit": "limit",
}
COUNTERS = {
    'desk_cache_lookups_total{desk_cache_status="hit"': "cache_hits",
    'desk_cache_lookups_total{desk_cache_status="miss"': "cache_misses",
    "desk_event_loop_lag_seconds_sum": "lag_sum",
    "desk_event_loop_lag_seconds_count": "lag_count",
}
FIELDS = ["t", "rss_mb", *GAUGES.values(), *COUNTERS.values(), "loop_lag_ms"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def read(text: str) -> dict[str, float]:
    values = dict.fromkeys([*GAUGES.values(), *COUNTERS.values()], 0.0)
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for prefix, field in {**GAUGES, **COUNTERS}.items():
            if line.startswith((prefix + "{", prefix + ",", prefix + " ")):
                values[field] += float(line.rsplit(" ", 1)[1])
    return values


class Sampler(threading.Thread):
    def __init__(self, url: str, pid: int, out: Path, every_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self._url, self._pid, self._out, self._every = url, pid, out, every_s
        self._done = threading.Event()

    def run(self) -> None:
        with self._out.open("w", newline="") as handle, httpx.Client(timeout=5) as client:
            writer = csv.DictWriter(handle, FIELDS)
            writer.writeheader()
            before: dict[str, float] = {}
            while not self._done.wait(self._every):
                try:
                    values = read(client.get(f"{self._url}/metrics").text)
                except httpx.HTTPError:
                    continue
                ticks = values["lag_count"] - before.get("lag_count", 0.0)
                late = values["lag_sum"] - before.get("lag_sum", 0.0)
                before = values
                lag_ms = 1000 * late / ticks if ticks > 0 else 0.0
                writer.writerow(
                    {
                        "t": time.time(),
                        "rss_mb": rss_mb(self._pid),
                        **values,
                        "loop_lag_ms": round(lag_ms, 2),
                    }
                )
                handle.flush()

    def stop(self) -> None:
        self._done.set()
        self.join(timeout=10)
