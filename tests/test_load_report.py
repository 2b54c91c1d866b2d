"""The load report's verdict, on made-up request logs: it passes a run that met the spike
targets and names each target a bad run missed. (The load runs themselves are
`make load-spike` and friends; they take minutes and are not part of the suite.)"""

from __future__ import annotations

from pathlib import Path

from tests.load.capacity import measure, write_capacity_report
from tests.load.report import Request, judge, write_report
from tests.load.shapes import phases

SPIKE = phases("spike", base=2, phase_s=20)  # baseline 0-20 s, spike 20-40 s, after 40-60 s


def turns(start: float, end: float, ms: float, status: int = 200) -> list[Request]:
    """One turn every 0.1 s over [start, end)."""
    return [
        Request(start + i / 10, "turn: fresh question", status, ms)
        for i in range(int((end - start) * 10))
    ]


def test_a_run_that_met_the_targets_passes() -> None:
    log = [
        *turns(0, 20, 400),
        *turns(20, 40, 550),
        *turns(20, 40, 3, status=429),
        *turns(40, 60, 420),
    ]
    verdict = judge(log, [], SPIKE)
    assert verdict.passed, [(c.name, c.detail) for c in verdict.checks]
    assert len(verdict.checks) == 4


def test_each_missed_target_is_named() -> None:
    log = [
        *turns(0, 20, 400),
        *turns(20, 40, 900),  # 2.25x the baseline's p95
        *turns(20, 40, 120, status=429),  # refusals that took 120 ms
        *turns(40, 55, 900),  # still slow 15 s after the spike
        *turns(55, 60, 400),
        Request(30, "turn: action", 500, 10),
    ]
    failed = {c.name for c in judge(log, [], SPIKE).checks if not c.passed}
    assert failed == {
        "only 2xx or 429",
        "429s within 50 ms (p99)",
        "admitted p95 in the spike within 1.5x baseline",
        "back to baseline within 10 s",
    }


def test_the_report_is_written_with_its_plots(tmp_path: Path) -> None:
    lines = [
        f'{{"t": {1000 + r.t}, "name": "{r.name}", "status": {r.status}, "ms": {r.ms}}}'
        for r in turns(0, 60, 400)
    ]
    (tmp_path / "requests.jsonl").write_text("\n".join(lines))
    verdict = write_report(tmp_path, "spike", SPIKE, ["a made-up run"])
    report = (tmp_path / "report.md").read_text()
    assert (
        report.startswith("# Load run: spike") and ("PASS" if verdict.passed else "FAIL") in report
    )
    assert (tmp_path / "throughput.png").stat().st_size > 0
    assert (tmp_path / "latency.png").stat().st_size > 0


def test_capacity_is_the_busiest_step_before_shedding(tmp_path: Path) -> None:
    steps = phases("capacity", phase_s=40)  # six steps of 10 s: 1, 2, 4 ... 32 clients
    logs = {
        # The bare endpoint never sheds, and serves 10/s more at each step.
        "bare": [r for i in range(6) for _ in range(i + 1) for r in turns(10 * i, 10 * i + 10, 2)],
        # The desk serves 10/s at every step, and sheds from the fourth (8 clients) on.
        "desk": [
            *(r for i in range(6) for r in turns(10 * i, 10 * i + 10, 300)),
            *(r for i in range(3, 6) for r in turns(10 * i, 10 * i + 10, 2, status=429)),
        ],
    }
    parts = []
    for name, log in logs.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "requests.jsonl").write_text(
            "\n".join(
                f'{{"t": {1000 + r.t}, "name": "{r.name}", "status": {r.status}, "ms": {r.ms}}}'
                for r in log
            )
        )
        parts.append(measure(name, tmp_path / name, steps))
    bare, desk = parts
    assert bare.sustained is not None and bare.sustained.clients == 32
    assert desk.sustained is not None and desk.sustained.clients == 4
    assert [s.shed_share for s in desk.steps] == [0.0, 0.0, 0.0, 0.5, 0.5, 0.5]
    assert write_capacity_report(tmp_path, parts, ["made up"], ceiling="bare")
    report = (tmp_path / "report.md").read_text()
    assert "| desk | 10.0 | 4 | 300 | 16.7% |" in report  # of the bare endpoint's 60/s
    assert (tmp_path / "capacity.png").stat().st_size > 0
