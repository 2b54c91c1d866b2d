"""The capacity run's report: for cache hits, for full turns and for a bare FastAPI
endpoint on the same machine, how many a second are served at each step of concurrency,
and the highest rate sustained before shedding begins (docs/adr/0021)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.load.report import bounds, load_requests, percentile, plt, save_figure, within
from tests.load.shapes import Phase

SHEDDING = 0.01  # shedding has begun once more than 1% of turns get 429


@dataclass(frozen=True)
class Step:
    clients: int
    served_per_s: float
    shed_share: float
    errors: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class Part:
    name: str
    steps: list[Step]

    @property
    def sustained(self) -> Step | None:
        """The busiest step before shedding began (and without errors)."""
        calm = [s for s in self.steps if s.shed_share <= SHEDDING and not s.errors]
        return max(calm, key=lambda s: (s.served_per_s, s.clients), default=None)


def measure(name: str, folder: Path, phases: Sequence[Phase]) -> Part:
    requests = [r for r in load_requests(folder / "requests.jsonl") if r.turn]
    steps = []
    for phase in phases:
        start, end = bounds(phases)[phase.name]
        part = within(requests, start + 1, end)  # the first second ramps up
        seconds = phase.seconds - 1
        served = [r.ms for r in part if 200 <= r.status < 300]
        shed = sum(1 for r in part if r.status == 429)
        errors = len(part) - len(served) - shed
        steps.append(
            Step(
                phase.users,
                len(served) / seconds,
                shed / len(part) if part else 0.0,
                errors,
                percentile(served, 50),
                percentile(served, 95),
            )
        )
    return Part(name, steps)


def write_capacity_report(
    folder: Path, parts: Sequence[Part], notes: Sequence[str], ceiling: str
) -> bool:
    """Writes report.md and capacity.png; True when nothing but 2xx and 429 came back."""
    top = {p.name: p.sustained for p in parts}
    bare = top.get(ceiling)
    lines = [
        "# Load run: capacity",
        "",
        *notes,
        "",
        "| served | highest sustained /s before shedding | at clients | p95 ms there "
        f"| share of the {ceiling} ceiling |",
        "|---|---|---|---|---|",
    ]
    for part in parts:
        best = top[part.name]
        if best is None:
            lines.append(f"| {part.name} | shed from the first step | | | |")
            continue
        share = f"{best.served_per_s / bare.served_per_s:.1%}" if bare else "n/a"
        lines.append(
            f"| {part.name} | {best.served_per_s:.1f} | {best.clients} | {best.p95_ms:.0f} "
            f"| {share} |"
        )
    lines += ["", "| served | clients | served/s | shed | errors | p50 / p95 ms |"]
    lines.append("|---|---|---|---|---|---|")
    for part in parts:
        lines += [
            f"| {part.name} | {s.clients} | {s.served_per_s:.1f} | {s.shed_share:.0%} "
            f"| {s.errors} | {s.p50_ms:.0f} / {s.p95_ms:.0f} |"
            for s in part.steps
        ]
    fig, ax = plt.subplots(figsize=(10, 4))
    for part in parts:
        ax.plot([s.clients for s in part.steps], [s.served_per_s for s in part.steps], "o-")
        ax.annotate(part.name, (part.steps[-1].clients, part.steps[-1].served_per_s))
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="clients, each sending as soon as answered",
        ylabel="served per second",
        title="Throughput by concurrency",
    )
    lines += ["", f"![{save_figure(fig, folder / 'capacity.png')}](capacity.png)", ""]
    (folder / "report.md").write_text("\n".join(lines))
    return not any(s.errors for p in parts for s in p.steps)
