"""The PNG plots embedded in eval reports: a confusion heatmap, hit@k curves, a latency
histogram and horizontal bars. Each function writes one file and returns its path."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

# Reports are written by CLI commands and CI jobs with no display.
matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from evals.measures import percentile

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

DPI = 150
FONT_PT = 10
ANNOTATION_PT = 9
# Labels longer than this are shortened on the plot so the heatmap keeps its shape.
MAX_LABEL_CHARS = 40
CELL_INCHES = 0.45
# About the width of one character of a 9 pt tick label, to leave room for labels.
CHAR_INCHES = 0.07
# Latencies spread wider than this (max / median) are easier to read on a log axis.
LOG_SPREAD = 20
LATENCY_BINS = 40
MAX_ANNOTATED_POINTS = 12
_STYLE: dict[RcKeyType, Any] = {
    "font.size": FONT_PT,
    "axes.titlesize": FONT_PT + 2,
    "axes.labelsize": FONT_PT,
    "xtick.labelsize": ANNOTATION_PT,
    "ytick.labelsize": ANNOTATION_PT,
    "legend.fontsize": ANNOTATION_PT,
    # Grid lines behind bars and lines, not across them.
    "axes.axisbelow": True,
}


def confusion_png(
    path: Path, labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str
) -> Path:
    """A heatmap of counts, rows the true label and columns the predicted one."""
    if not labels:
        return _empty(path, title, "no labels")
    n = len(labels)
    counts = np.asarray(matrix, dtype=int)
    if counts.shape != (n, n):
        raise ValueError(f"confusion matrix is {counts.shape}, expected {n}x{n} for its labels")
    shown = [_shorten(label) for label in labels]
    # The figure is sized from its parts, so a few cells are not squeezed by long labels:
    # the grid, then room for the labels (the x labels at 45 degrees), the colour bar and
    # the title.
    grid = max(3.0, CELL_INCHES * n)
    label_inches = CHAR_INCHES * max(len(label) for label in shown)
    width = label_inches + 0.6 + grid + 1.2
    height = 0.6 + grid + label_inches * 0.75 + 0.6
    with _figure(width, height) as (fig, ax):
        # A square-root scale keeps the few off-diagonal confusions visible beside a
        # diagonal that is usually an order of magnitude larger.
        norm = PowerNorm(gamma=0.5, vmin=0, vmax=max(1, int(counts.max())))
        image = ax.imshow(counts, cmap="Blues", norm=norm)
        colorbar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        colorbar.set_label("count")
        ax.set_xticks(range(n), labels=shown, rotation=45, ha="right", rotation_mode="anchor")
        ax.set_yticks(range(n), labels=shown)
        ax.set_xlabel("Predicted label")
        ax.set_ylabel("True label")
        ax.set_title(title)
        for row in range(n):
            for col in range(n):
                value = int(counts[row, col])
                if value:
                    red, green, blue, _ = image.cmap(norm(value))
                    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
                    ax.text(
                        col,
                        row,
                        str(value),
                        ha="center",
                        va="center",
                        fontsize=ANNOTATION_PT,
                        color="white" if luminance < 0.5 else "black",
                    )
        return _save(fig, path)


def hit_at_k_png(
    path: Path, ks: Sequence[int], curves: Mapping[str, Sequence[float]], title: str
) -> Path:
    """One line per named curve of rates at each k, the values written beside the points."""
    if not ks or not curves:
        return _empty(path, title, "no data")
    for name, values in curves.items():
        if len(values) != len(ks):
            raise ValueError(f"curve {name!r} has {len(values)} values for {len(ks)} ks")
    table = np.asarray([list(values) for values in curves.values()], dtype=float)
    annotate = len(ks) * len(curves) <= MAX_ANNOTATED_POINTS
    with _figure(7.0, 4.5) as (fig, ax):
        for index, (name, values) in enumerate(curves.items()):
            ax.plot(ks, values, marker="o", label=name)
            if not annotate:
                continue
            for column, (k, value) in enumerate(zip(ks, values, strict=True)):
                # The top curve at a k is labelled above its point and the others below,
                # so two close curves do not write over each other.
                top = index == int(np.nanargmax(table[:, column]))
                ax.annotate(
                    f"{value:.2f}",
                    (k, value),
                    textcoords="offset points",
                    xytext=(0, 7 if top else -14),
                    ha="center",
                    fontsize=ANNOTATION_PT,
                )
        if min(ks) > 0 and max(ks) / min(ks) > LOG_SPREAD:
            ax.set_xscale("log")
            ax.minorticks_off()
        ax.set_xticks(list(ks), labels=[str(k) for k in ks])
        ax.set_ylim(0, 1.05)
        ax.set_yticks([i / 5 for i in range(6)])
        ax.set_xlabel("k (results considered)")
        ax.set_ylabel("rate")
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="lower right")
        return _save(fig, path)


def latency_png(path: Path, latencies_ms: Sequence[float], title: str) -> Path:
    """A histogram of latencies with the p50, p95 and p99 marked."""
    if not latencies_ms:
        return _empty(path, title, "no samples")
    samples = np.asarray(latencies_ms, dtype=float)
    median = percentile(latencies_ms, 50)
    log_x = samples.min() > 0 and median > 0 and samples.max() / median > LOG_SPREAD
    bins: int | list[float] = LATENCY_BINS
    if log_x:
        bins = np.geomspace(samples.min(), samples.max(), LATENCY_BINS + 1).tolist()
    with _figure(7.5, 4.5) as (fig, ax):
        ax.hist(samples, bins=bins, color="tab:blue", alpha=0.75)
        if log_x:
            ax.set_xscale("log")
            # 1,000 reads faster than 10³ for a latency.
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}"))
        for q, colour in ((50, "tab:green"), (95, "tab:orange"), (99, "tab:red")):
            value = percentile(latencies_ms, q)
            ax.axvline(
                value, color=colour, linestyle="--", linewidth=1.5, label=f"p{q} {_ms(value)}"
            )
        ax.set_xlabel("milliseconds" + (" (log scale)" if log_x else ""))
        ax.set_ylabel("count")
        ax.set_title(title)
        ax.grid(True, axis="y", alpha=0.3)
        ax.legend(title=f"n = {len(samples)}", loc="best")
        return _save(fig, path)


def bars_png(path: Path, values: Mapping[str, float], title: str, xlabel: str) -> Path:
    """Horizontal bars in the order given, top to bottom, each with its value."""
    if not values:
        return _empty(path, title, "no values")
    names = [_shorten(name) for name in values]
    numbers = [float(v) for v in values.values()]
    height = max(2.5, 0.32 * len(values) + 1.3)
    # The bars keep about 5 inches whatever the length of their labels.
    width = 5.5 + CHAR_INCHES * max(len(name) for name in names)
    with _figure(width, height) as (fig, ax):
        positions = range(len(values))
        bars = ax.barh(positions, numbers, color="tab:blue", height=0.7)
        ax.bar_label(bars, fmt="%.2f", padding=3, fontsize=ANNOTATION_PT)
        ax.set_yticks(positions, labels=names)
        ax.invert_yaxis()
        # Room right of a bar at 1.0 for its value.
        ax.set_xlim(0, max(1.0, *numbers) * 1.1)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.grid(True, axis="x", alpha=0.3)
        return _save(fig, path)


@contextmanager
def _figure(width: float, height: float) -> Iterator[tuple[Figure, Axes]]:
    with plt.rc_context(_STYLE):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            # pyplot keeps every figure alive until closed; an eval writes many.
            plt.close(fig)


def _save(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    return path


def _empty(path: Path, title: str, message: str) -> Path:
    with _figure(6.0, 3.0) as (fig, ax):
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=FONT_PT + 2)
        ax.set_title(title)
        ax.set_axis_off()
        return _save(fig, path)


def _shorten(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"
