"""Eval reports on disk: a Markdown report with its PNG plots in a timestamped folder, and
the figures as JSON for `--json PATH`."""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from evals.measures import percentile

__all__ = [
    "Plot",
    "Report",
    "json_dump",
    "latency_plot",
    "markdown_table",
    "percentile",
    "share",
    "write_report",
]

JSON_DECIMALS = 6
# Writes a PNG to the path it is given and returns that path; usually a plots function with
# everything but the path bound, e.g. functools.partial(latency_png, latencies_ms=..., ...).
Plot = Callable[[Path], Path]


@dataclass
class Report:
    """What an eval found, as plain data: `summary` rows are (measure, value), `sections`
    are (heading, Markdown body) and `plots` are (caption, plot)."""

    name: str
    title: str
    command: str
    summary: list[tuple[str, str]] = field(default_factory=list)
    sections: list[tuple[str, str]] = field(default_factory=list)
    plots: list[tuple[str, Plot]] = field(default_factory=list)


def latency_plot(caption: str, latencies_ms: Sequence[float], title: str) -> tuple[str, Plot]:
    """The latency histogram every eval report has."""
    from evals.plots import latency_png  # matplotlib loads only when a report is written

    return (caption, partial(latency_png, latencies_ms=list(latencies_ms), title=title))


def share(value: float | None) -> str:
    """A rate for a report line: four decimals, "n/a" where nothing was measured."""
    return "n/a" if value is None else f"{value:.4f}"


def write_report(report: Report, root: Path, now: datetime | None = None) -> Path:
    """Writes `root/<name>-<YYYYmmdd-HHMMSS>/report.md` beside its PNGs; returns report.md."""
    when = _utc(now)
    folder = _new_folder(root, f"{_slug(report.name) or 'report'}-{when:%Y%m%d-%H%M%S}")
    lines = [
        f"# {report.title}",
        "",
        f"- Date: {when.isoformat(timespec='seconds')}",
        f"- Command: {_code_span(report.command)}",
        "",
    ]
    if report.summary:
        lines += ["## Summary", "", markdown_table(["Measure", "Value"], report.summary), ""]
    for heading, body in report.sections:
        lines += [f"## {heading}", "", body.strip(), ""]
    if report.plots:
        lines += ["## Plots", ""]
    taken: set[str] = set()
    for index, (caption, plot) in enumerate(report.plots, start=1):
        name = _unique(_slug(caption) or f"plot-{index}", taken)
        target = folder / f"{name}.png"
        written = plot(target)
        if written.resolve() != target.resolve() or not target.is_file():
            raise RuntimeError(f"plot {caption!r} did not write {target}")
        lines += [f"### {caption}", "", f"![{_alt_text(caption)}]({target.name})", ""]
    # Written last, so a report.md is only ever found beside all of its plots.
    path = folder / "report.md"
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return path


def json_dump(path: Path, payload: Mapping[str, Any]) -> None:
    """Writes the figures as indented JSON, floats rounded, NaN and infinities as null."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_jsonable(payload), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured table; floats to 4 decimals, pipes and line breaks escaped."""
    for row in rows:
        if len(row) != len(header):
            raise ValueError(f"row {list(row)!r} has {len(row)} cells for {len(header)} columns")
    lines = [
        _table_row(header),
        "| " + " | ".join("---" for _ in header) + " |",
        *(_table_row(row) for row in rows),
    ]
    return "\n".join(lines)


def _table_row(cells: Sequence[object]) -> str:
    return "| " + " | ".join(_cell(value) for value in cells) + " |"


def _cell(value: object) -> str:
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        text = f"{float(value):.4f}"
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return round(number, JSON_DECIMALS) if math.isfinite(number) else None
    if isinstance(value, Mapping):
        return {_json_key(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(item) for item in value), key=repr)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    # numpy arrays and scalars (numpy.bool_ is no numbers.Integral) without importing numpy.
    if callable(getattr(value, "tolist", None)):
        return _jsonable(value.tolist())
    raise TypeError(f"cannot write {type(value).__name__} as JSON: {value!r}")


def _json_key(key: object) -> str:
    converted = _jsonable(key)
    return converted if isinstance(converted, str) else json.dumps(converted)


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    # A naive time is taken to be UTC already rather than the machine's local time.
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _new_folder(root: Path, stem: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    suffix = 1
    while True:
        folder = root / (stem if suffix == 1 else f"{stem}-{suffix}")
        try:
            # mkdir either creates or fails, so two writers in one second cannot share one.
            folder.mkdir()
            return folder
        except FileExistsError:
            suffix += 1


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(name: str, taken: set[str]) -> str:
    candidate, suffix = name, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{name}-{suffix}"
    taken.add(candidate)
    return candidate


def _code_span(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _alt_text(caption: str) -> str:
    return caption.replace("[", "\\[").replace("]", "\\]").replace("\n", " ")
