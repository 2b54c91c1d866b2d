"""Run a load scenario against the whole local stack and write its report.

    python -m tests.load.run spike      # or baseline, soak, capacity; `make load-spike` runs this

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

from tests.load.capacity import measure, write_capacity_report
from tests.load.report import write_report
from tests.load.sampler import Sampler
from tests.load.shapes import Phase, phases
from tests.load.stack import REPO, Upstream, bare_endpoint, local_stack

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["baseline", "spike", "soak", "capacity"])
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
    machine = (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; the fake upstream "
        f"plays the managed model with {args.ttft_ms:.0f} ms to first token and "
        f"{args.tps:.0f} tokens/s."
    )
    if args.scenario == "capacity":
        return capacity(args, folder, planned, upstream, settings, machine)
    print(f"starting the stack under {folder} ...", flush=True)
    with local_stack(folder / "stack", upstream, **settings) as stack:
        sampler = Sampler(stack.url, stack.pid, folder / "samples.csv")
        sampler.start()
        started = time.monotonic()
        code = run_locust(stack.url, folder, args, "Customer")
        sampler.stop()
    notes = [
        f"{machine} Locust exited {code} after {time.monotonic() - started:.0f} s.",
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


def run_locust(url: str, folder: Path, args: argparse.Namespace, users: str) -> int:
    """Locust, headless, with the `users` class of tests/load/locustfile.py against `url`;
    every request goes to `folder`/requests.jsonl."""
    env = {
        **os.environ,
        "LOAD_SHAPE": args.scenario,
        "LOAD_BASE_USERS": str(args.base_users),
        "LOAD_PHASE_S": str(args.phase_s),
        "LOAD_REQUEST_LOG": str(folder / "requests.jsonl"),
    }
    return subprocess.run(
        [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
            "--host", url, "--csv", str(folder / "locust"),
            "--only-summary", "--loglevel", "WARNING", users,
        ],
        env=env,
        cwd=REPO,
        check=False,
    ).returncode  # fmt: skip


def capacity(
    args: argparse.Namespace,
    folder: Path,
    planned: list[Phase],
    upstream: Upstream,
    settings: dict[str, str],
    machine: str,
) -> int:
    """Three runs on the same machine: the bare endpoint, cache hits, and full turns (the
    cache off, so every turn retrieves and asks the model)."""
    parts = []
    print(f"the bare endpoint under {folder} ...", flush=True)
    (folder / "bare").mkdir()
    with bare_endpoint(folder / "bare") as url:
        run_locust(url, folder / "bare", args, "Bare")
    parts.append(measure("bare endpoint", folder / "bare", planned))
    runs = [("cache hits", "CacheHits", "true"), ("full turns", "FullTurns", "false")]
    for name, users, cache in runs:
        print(f"{name} ...", flush=True)
        part = folder / users
        part.mkdir()
        with local_stack(
            part / "stack", upstream, **settings, SEMANTIC_CACHE_ENABLED=cache
        ) as stack:
            run_locust(stack.url, part, args, users)
        parts.append(measure(name, part, planned))
    notes = [
        machine,
        "Each step runs its clients for "
        f"{planned[0].seconds:.0f} s; a client sends its next message as soon as the last "
        "is answered, or a second after a 429.",
    ]
    if settings:
        notes.append("Settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items()) + ".")
    clean = write_capacity_report(folder, parts, notes, ceiling="bare endpoint")
    print((folder / "report.md").read_text())
    print(f"report: {folder / 'report.md'}")
    return 0 if clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
