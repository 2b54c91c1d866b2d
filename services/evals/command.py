"""Running one eval: the shared options, the printed summary, the report and the JSON.

Every eval module has `add_arguments(parser)`, `measure(args, settings, gateway)` (figures
as a dict), `report(figures, command)` and `last_line(figures)`. The command exits 0
whatever the scores (judging them is a gate's job, not the measurement's), 2 when its
inputs are unusable, with a message saying why.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from types import ModuleType

from evals.corpus import CorpusError
from evals.queries import QueryFileError
from evals.report import json_dump, write_report
from supportdesk.config import Settings

EXIT_OK = 0
EXIT_BAD_INPUT = 2
REPORTS = Path("reports")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--reports",
        type=Path,
        default=REPORTS,
        metavar="DIR",
        help="where the Markdown report and its plots go (default: reports/)",
    )


async def run(module: ModuleType, args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: the gateway pulls in LiteLLM, which `supportdesk --help` never needs.
    from gateway import build_gateway

    gateway = build_gateway(settings)
    try:
        figures = await module.measure(args, settings, gateway)
    except (QueryFileError, CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        await gateway.aclose()
    command = shlex.join(["supportdesk", *sys.argv[1:]])
    report = module.report(figures, command)
    for measure, value in report.summary:
        print(f"{measure:<36} {value}")
    path = write_report(report, args.reports)
    print(f"report: {path}")
    if args.json is not None:
        json_dump(args.json, figures)
        print(f"figures: {args.json}")
    print(module.last_line(figures))
    return EXIT_OK
