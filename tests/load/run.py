"""Run a load scenario against the whole local stack and write its report.

    python -m tests.load.run spike      # or baseline, soak; `make load-spike` runs this

The report (Markdown, PNG plots, Locust's CSVs and the raw request log) goes to
reports/load-<scenario>-<time>/; the command exits 0 on PASS and 1 on FAIL.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from tests.load.report import write_report
from tests.load.sampler import Sampler
from tests.load.shapes import phases
from tests.load.stack import REPO, Upstream, local_stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["baseline", "spike", "soak"])
    parser.add_argument(
        "--base-users",
        type=int,
        default=3,
        help="customers at baseline (3: about a third of what one process serves on 2 cores)",
    )
    parser.add_argument("--phase-s", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--ttft-ms", type=float, default=300.0, help="the fake model's TTFT")
    parser.add_argument("--tps", type=float, default=40.0, help="its tokens per second")
    parser.add_argument("--out", type=Path, default=REPO / "reports")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the desk under test, e.g. --set MAX_CONCURRENT_TURNS=4",
    )
    args = parser.parse_args(argv)
    settings = dict(pair.split("=", 1) for pair in args.set)

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    folder = args.out / f"load-{args.scenario}-{stamp}"
    folder.mkdir(parents=True)
    planned = phases(args.scenario, args.base_users, args.phase_s)
    upstream = Upstream(ttft_ms=args.ttft_ms, tokens_per_s=args.tps)
    print(f"starting the stack under {folder} ...", flush=True)
    with local_stack(folder / "stack", upstream, **settings) as stack:
        sampler = Sampler(stack.url, stack.pid, folder / "samples.csv")
        sampler.start()
        env = {
            **os.environ,
            "LOAD_SHAPE": args.scenario,
            "LOAD_BASE_USERS": str(args.base_users),
            "LOAD_PHASE_S": str(args.phase_s),
            "LOAD_REQUEST_LOG": str(folder / "requests.jsonl"),
        }
        started = time.monotonic()
        locust = subprocess.run(
            [
                sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
                "--host", stack.url, "--csv", str(folder / "locust"),
                "--only-summary", "--loglevel", "WARNING",
            ],
            env=env,
            cwd=REPO,
            check=False,
        )  # fmt: skip
        sampler.stop()
    notes = [
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; the fake upstream "
        f"plays the managed model with {args.ttft_ms:.0f} ms to first token and "
        f"{args.tps:.0f} tokens/s. Locust exited {locust.returncode} after "
        f"{time.monotonic() - started:.0f} s.",
        "Phases: "
        + ", ".join(f"{p.name} {p.users} customers for {p.seconds:.0f} s" for p in planned)
        + " (each customer sends a message a second on average, at random times).",
    ]
    if settings:
        notes.append("Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".")
    verdict = write_report(folder, args.scenario, planned, notes)
    print((folder / "report.md").read_text())
    print(f"report: {folder / 'report.md'}")
    return 0 if verdict.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
