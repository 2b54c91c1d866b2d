"""A load run's report: figures per phase, plots over time, and a verdict against the
spike targets of docs/adr/0021.

Targets (spike): no response but 2xx or 429; 429s answered within 50 ms (p99); admitted
turns' p95 during the spike within 1.5x the baseline's; p95 back within 1.2x baseline
within 10 s of the spike's end. Soak: no error, memory growth under 5%.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from tests.load.shapes import Phase

SHED_P99_MS = 50.0
SPIKE_P95_RATIO = 1.5
RECOVERY_S = 10.0
RECOVERED_RATIO = 1.2
MEMORY_GROWTH = 0.05
WINDOW_S = 5.0


@dataclass(frozen=True)
class Request:
    t: float  # seconds since the run started
    name: str
    status: int
    ms: float

    @property
    def turn(self) -> bool:
        return self.name.startswith("turn")


@dataclass
class Check:
    name: str
    passed: bool
    detail: str


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    def add(self, name: str, passed: bool, detail: str) -> None:
        self.checks.append(Check(name, passed, detail))


def load_requests(path: Path) -> list[Request]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        return []
    start = min(r["t"] for r in rows)
    return [Request(r["t"] - start, r["name"], int(r["status"]), float(r["ms"])) for r in rows]


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[index]


def within(requests: Sequence[Request], start: float, end: float) -> list[Request]:
    return [r for r in requests if start <= r.t < end]


def admitted_ms(requests: Sequence[Request]) -> list[float]:
    return [r.ms for r in requests if r.turn and 200 <= r.status < 300]


def bounds(phases: Sequence[Phase]) -> dict[str, tuple[float, float]]:
    spans, start = {}, 0.0
    for phase in phases:
        spans[phase.name] = (start, start + phase.seconds)
        start += phase.seconds
    return spans


def judge(
    requests: Sequence[Request], samples: list[dict[str, float]], phases: Sequence[Phase]
) -> Verdict:
    verdict = Verdict()
    errors = [r for r in requests if not (200 <= r.status < 300 or r.status == 429)]
    verdict.add(
        "only 2xx or 429",
        not errors,
        f"{len(errors)} other responses of {len(requests)}"
        + (f" (statuses {sorted({r.status for r in errors})})" if errors else ""),
    )
    shed = [r.ms for r in requests if r.status == 429]
    p99_shed = percentile(shed, 99)
    verdict.add(
        f"429s within {SHED_P99_MS:.0f} ms (p99)",
        not shed or p99_shed <= SHED_P99_MS,
        f"{len(shed)} shed, p99 {p99_shed:.1f} ms" if shed else "nothing was shed",
    )
    spans = bounds(phases)
    if "spike" in spans:
        base = admitted_ms(within(requests, spans["baseline"][0] + 10, spans["baseline"][1]))
        spike = admitted_ms(within(requests, *spans["spike"]))
        p95_base, p95_spike = percentile(base, 95), percentile(spike, 95)
        ratio = p95_spike / p95_base if base and spike else math.inf
        verdict.add(
            f"admitted p95 in the spike within {SPIKE_P95_RATIO}x baseline",
            ratio <= SPIKE_P95_RATIO,
            f"baseline p95 {p95_base:.0f} ms, spike p95 {p95_spike:.0f} ms ({ratio:.2f}x)",
        )
        end = spans["spike"][1]
        recovered_at = None
        t = end
        while t + WINDOW_S <= spans["after"][1]:
            window = admitted_ms(within(requests, t, t + WINDOW_S))
            if window and percentile(window, 95) <= RECOVERED_RATIO * p95_base:
                recovered_at = t + WINDOW_S - end
                break
            t += 1.0
        verdict.add(
            f"back to baseline within {RECOVERY_S:.0f} s",
            recovered_at is not None and recovered_at <= RECOVERY_S,
            f"p95 within {RECOVERED_RATIO}x baseline {recovered_at:.0f} s after the spike"
            if recovered_at is not None
            else "p95 never came back within the run",
        )
    if "soak" in spans and len(samples) > 120:
        early = sum(s["rss_mb"] for s in samples[60:120]) / 60
        late = sum(s["rss_mb"] for s in samples[-60:]) / 60
        growth = late / early - 1
        verdict.add(
            f"memory growth under {MEMORY_GROWTH:.0%}",
            growth < MEMORY_GROWTH,
            f"RSS {early:.0f} MB after a minute, {late:.0f} MB at the end ({growth:+.1%})",
        )
    return verdict


def per_second(requests: Sequence[Request], duration: float) -> dict[str, list[float]]:
    seconds = math.ceil(duration)
    series = {k: [0.0] * seconds for k in ("offered", "admitted", "shed", "errors")}
    for r in requests:
        if not r.turn or r.t >= seconds:
            continue
        s = int(r.t)
        series["offered"][s] += 1
        if 200 <= r.status < 300:
            series["admitted"][s] += 1
        elif r.status == 429:
            series["shed"][s] += 1
        else:
            series["errors"][s] += 1
    return series


def plot(
    requests: Sequence[Request],
    samples: list[dict[str, float]],
    phases: Sequence[Phase],
    folder: Path,
) -> list[str]:
    duration = sum(p.seconds for p in phases)
    series = per_second(requests, duration)
    xs = list(range(len(series["offered"])))
    files = []

    fig, ax = plt.subplots(figsize=(10, 4))
    for key in ("offered", "admitted", "shed", "errors"):
        ax.plot(xs, series[key], label=key)
    ax.set(xlabel="seconds", ylabel="turns per second", title="Offered, admitted and shed turns")
    _phase_lines(ax, phases)
    ax.legend()
    files.append(save_figure(fig, folder / "throughput.png"))

    fig, ax = plt.subplots(figsize=(10, 4))
    for q in (50, 95, 99):
        points = []
        for start in range(0, int(duration), int(WINDOW_S)):
            window = admitted_ms(within(requests, start, start + WINDOW_S))
            points.append(percentile(window, q) if window else math.nan)
        ax.plot(range(0, int(duration), int(WINDOW_S)), points, label=f"p{q}")
    ax.set(xlabel="seconds", ylabel="ms", title="Admitted turn latency (5 s windows)")
    _phase_lines(ax, phases)
    ax.legend()
    files.append(save_figure(fig, folder / "latency.png"))

    if samples:
        t0 = samples[0]["t"]
        ts = [s["t"] - t0 for s in samples]
        fig, ax = plt.subplots(figsize=(10, 4))
        ax.plot(ts, [s["in_flight"] for s in samples], label="in flight")
        ax.plot(ts, [s["waiting"] for s in samples], label="queued")
        ax.plot(ts, [s["limit"] for s in samples], label="admission limit")
        ax.set(
            xlabel="seconds",
            ylabel="turns",
            title="Turns in flight, queued, the limit, and the event loop's lag",
        )
        ax.legend(loc="upper left")
        lag = ax.twinx()
        lag.plot(ts, [s.get("loop_lag_ms", 0.0) for s in samples], color="grey", alpha=0.6)
        lag.set_ylabel("loop lag, ms (grey)")
        files.append(save_figure(fig, folder / "in_flight.png"))

        fig, ax = plt.subplots(figsize=(10, 4))
        ratio = []
        for before, now in itertools.pairwise(samples):
            hits = now["cache_hits"] - before["cache_hits"]
            looked = hits + now["cache_misses"] - before["cache_misses"]
            ratio.append(hits / looked if looked else math.nan)
        ax.plot(ts[1:], ratio, label="hit ratio")
        ax2 = ax.twinx()
        ax2.plot(ts, [s["rss_mb"] for s in samples], color="grey", label="API memory (MB)")
        ax.set(xlabel="seconds", ylabel="cache hit ratio", title="Cache hit ratio and memory")
        ax2.set_ylabel("RSS MB")
        files.append(save_figure(fig, folder / "cache_memory.png"))
    return files


def _phase_lines(ax: plt.Axes, phases: Sequence[Phase]) -> None:
    t = 0.0
    for phase in phases[:-1]:
        t += phase.seconds
        ax.axvline(t, color="grey", linestyle=":")


def save_figure(fig: plt.Figure, path: Path) -> str:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path.name


def load_samples(path: Path) -> list[dict[str, float]]:
    if not path.exists():
        return []
    with path.open() as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


def write_report(
    folder: Path, scenario: str, phases: Sequence[Phase], notes: Sequence[str]
) -> Verdict:
    requests = load_requests(folder / "requests.jsonl")
    samples = load_samples(folder / "samples.csv")
    verdict = judge(requests, samples, phases)
    images = plot(requests, samples, phases, folder)
    spans = bounds(phases)
    lines = [
        f"# Load run: {scenario} — {'PASS' if verdict.passed else 'FAIL'}",
        "",
        *notes,
        "",
        "| check | result | measured |",
        "|---|---|---|",
        *(f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {c.detail} |" for c in verdict.checks),
        "",
        "| phase | customers | turns offered/s | admitted/s | shed/s | errors "
        "| admitted p50 / p95 / p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase in phases:
        start, end = spans[phase.name]
        part = [r for r in within(requests, start, end) if r.turn]
        ok = admitted_ms(part)
        shed = sum(1 for r in part if r.status == 429)
        errors = sum(1 for r in part if not (200 <= r.status < 300 or r.status == 429))
        lines.append(
            f"| {phase.name} | {phase.users} | {len(part) / phase.seconds:.1f} | "
            f"{len(ok) / phase.seconds:.1f} | {shed / phase.seconds:.1f} | {errors} | "
            f"{percentile(ok, 50):.0f} / {percentile(ok, 95):.0f} / {percentile(ok, 99):.0f} |"
        )
    lines += ["", *(f"![{name}]({name})" for name in images), ""]
    (folder / "report.md").write_text("\n".join(lines))
    return verdict
