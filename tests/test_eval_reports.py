"""Eval reports on disk: the Markdown, its PNG plots, the JSON figures and the percentile."""

from __future__ import annotations

import json
import re
import struct
from datetime import UTC, datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from evals import plots
from evals.measures import percentile
from evals.report import Report, json_dump, markdown_table, write_report

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
INTENTS = [
    "card_payment_wrong_exchange_rate",
    "wrong_exchange_rate_for_cash_withdrawal",
    "balance_not_updated_after_bank_transfer",
    "transfer_not_received_by_recipient",
    "pending_card_payment",
]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the IHDR chunk, after checking the PNG signature."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def confusion(n: int) -> list[list[int]]:
    rng = np.random.default_rng(n)
    matrix = rng.integers(0, 4, size=(n, n))
    np.fill_diagonal(matrix, 30)
    return matrix.tolist()


def full_report() -> Report:
    rng = np.random.default_rng(7)
    return Report(
        name="triage",
        title="Triage on BANKING77 test",
        command="supportdesk eval triage --split test --limit 500",
        summary=[("accuracy", "0.9120"), ("macro F1", "0.9034")],
        sections=[
            ("Most confused intents", "Exchange-rate intents are mixed up most often."),
            ("Data", "500 rows of `test.jsonl`."),
        ],
        plots=[
            (
                "Confusion",
                partial(plots.confusion_png, labels=INTENTS, matrix=confusion(5), title="Top 5"),
            ),
            (
                "Hit@k",
                partial(
                    plots.hit_at_k_png,
                    ks=[1, 3, 5, 10],
                    curves={"hit@k": [0.6, 0.8, 0.88, 0.95], "recall@k": [0.4, 0.7, 0.8, 0.9]},
                    title="Retrieval",
                ),
            ),
            (
                "Latency",
                partial(
                    plots.latency_png,
                    latencies_ms=rng.lognormal(4, 0.6, 300).tolist(),
                    title="Triage latency",
                ),
            ),
            (
                "Per-intent F1",
                partial(
                    plots.bars_png,
                    values={name: 0.5 + 0.1 * i for i, name in enumerate(INTENTS)},
                    title="F1 by intent",
                    xlabel="F1",
                ),
            ),
        ],
    )


def test_report_holds_summary_sections_and_every_plot(tmp_path: Path) -> None:
    path = write_report(full_report(), tmp_path / "reports", now=NOW)

    assert path == tmp_path / "reports" / "triage-20250304-050607" / "report.md"
    text = path.read_text()
    assert text.startswith("# Triage on BANKING77 test\n")
    assert "2025-03-04T05:06:07+00:00" in text
    assert "`supportdesk eval triage --split test --limit 500`" in text
    assert "| Measure | Value |" in text
    assert "| accuracy | 0.9120 |" in text
    assert "| macro F1 | 0.9034 |" in text
    assert "## Most confused intents\n\nExchange-rate intents are mixed up most often." in text
    assert "## Data\n\n500 rows of `test.jsonl`." in text
    links = re.findall(r"!\[([^\]]*)\]\(([^)]+)\)", text)
    assert links == [
        ("Confusion", "confusion.png"),
        ("Hit@k", "hit-k.png"),
        ("Latency", "latency.png"),
        ("Per-intent F1", "per-intent-f1.png"),
    ]
    for _, name in links:
        width, height = png_size(path.parent / name)
        assert width >= 600, name
        assert height >= 300, name
    assert sorted(p.name for p in path.parent.iterdir()) == sorted(
        ["report.md", *(name for _, name in links)]
    )


def test_reports_in_the_same_second_get_their_own_folders(tmp_path: Path) -> None:
    report = Report(name="retrieval", title="Retrieval", command="supportdesk eval retrieval")

    paths = [write_report(report, tmp_path, now=NOW) for _ in range(3)]

    assert [p.parent.name for p in paths] == [
        "retrieval-20250304-050607",
        "retrieval-20250304-050607-2",
        "retrieval-20250304-050607-3",
    ]
    assert all(p.is_file() for p in paths)


def test_report_folder_is_stamped_in_utc(tmp_path: Path) -> None:
    report = Report(name="answers", title="Answers", command="supportdesk eval answers")
    local = NOW.astimezone(timezone(timedelta(hours=2)))

    path = write_report(report, tmp_path, now=local)

    assert path.parent.name == "answers-20250304-050607"
    assert "2025-03-04T05:06:07+00:00" in path.read_text()


def test_plot_captions_with_the_same_slug_do_not_overwrite(tmp_path: Path) -> None:
    bars = partial(plots.bars_png, values={"a": 0.5}, title="t", xlabel="rate")
    report = Report(name="triage", title="T", command="c", plots=[("Rate", bars), ("rate!", bars)])

    text = write_report(report, tmp_path, now=NOW).read_text()

    assert "![Rate](rate.png)" in text
    assert "![rate!](rate-2.png)" in text


def test_json_dump_converts_numpy_paths_and_tuples(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "figures.json"
    json_dump(
        target,
        {
            "accuracy": np.float64(0.123456789),
            "rows": np.int64(500),
            "f1": np.array([0.5, 0.25]),
            "ks": (1, 3, 5),
            "data": Path("/data/test.jsonl"),
            "flag": np.bool_(True),
            "missing": float("nan"),
            "by_k": {1: np.float32(0.5)},
        },
    )

    assert json.loads(target.read_text()) == {
        "accuracy": 0.123457,
        "rows": 500,
        "f1": [0.5, 0.25],
        "ks": [1, 3, 5],
        "data": "/data/test.jsonl",
        "flag": True,
        "missing": None,
        "by_k": {"1": 0.5},
    }


def test_json_dump_refuses_what_it_cannot_represent(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="object"):
        json_dump(tmp_path / "x.json", {"thing": object()})


def test_markdown_table_formats_and_escapes() -> None:
    table = markdown_table(["intent", "n", "f1"], [["a|b", 3, 0.5], ["c", np.int64(7), 1 / 3]])

    assert table.splitlines() == [
        "| intent | n | f1 |",
        "| --- | --- | --- |",
        "| a\\|b | 3 | 0.5000 |",
        "| c | 7 | 0.3333 |",
    ]


def test_markdown_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError):
        markdown_table(["a", "b"], [[1]])


@pytest.mark.parametrize(
    "values",
    [[5.0], [3.0, 1.0], [1, 2, 3, 4], [10.0, 0.5, 7.25, 3.0, 3.0, 100.0, -2.0], list(range(101))],
)
@pytest.mark.parametrize("q", [0, 1, 25, 50, 90, 95, 99, 100])
def test_percentile_matches_numpy(values: list[float], q: float) -> None:
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))


def test_percentile_of_nothing_is_zero() -> None:
    assert percentile([], 95) == 0.0


def test_percentile_rejects_a_fraction_scale_beyond_100() -> None:
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_confusion_grows_with_long_labels(tmp_path: Path) -> None:
    # Labels of one length in both, so only the number of cells can make the difference.
    many = [f"{INTENTS[i % 5]}_{i:02d}" for i in range(20)]

    small = plots.confusion_png(tmp_path / "small.png", many[:5], confusion(5), "Five")
    large = plots.confusion_png(tmp_path / "large.png", many, confusion(20), "Twenty")

    assert png_size(large)[0] > png_size(small)[0]
    assert png_size(large)[1] > png_size(small)[1]


def test_confusion_rejects_a_matrix_that_does_not_fit_its_labels(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        plots.confusion_png(tmp_path / "bad.png", INTENTS, confusion(4), "Bad")


def test_latency_without_samples_still_writes_a_figure(tmp_path: Path) -> None:
    path = plots.latency_png(tmp_path / "latency.png", [], "Latency")

    width, _ = png_size(path)
    assert width >= 600


def test_latency_with_a_long_tail(tmp_path: Path) -> None:
    latencies = [20.0] * 50 + [40.0] * 30 + [5000.0, 9000.0]

    width, _ = png_size(plots.latency_png(tmp_path / "tail.png", latencies, "Tail"))

    assert width >= 600


def test_more_bars_make_a_taller_chart(tmp_path: Path) -> None:
    few = plots.bars_png(tmp_path / "few.png", {"a": 0.1, "b": 0.9}, "Few", "rate")
    many = plots.bars_png(
        tmp_path / "many.png", {f"family_{i}": i / 30 for i in range(30)}, "Many", "rate"
    )

    assert png_size(many)[1] > png_size(few)[1]


def test_hit_at_k_rejects_a_curve_of_the_wrong_length(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="recall"):
        plots.hit_at_k_png(tmp_path / "k.png", [1, 3], {"recall@k": [0.5]}, "Bad")


def test_plots_leave_no_figure_open(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    write_report(full_report(), tmp_path, now=NOW)
    plots.latency_png(tmp_path / "empty.png", [], "Empty")

    assert plt.get_fignums() == []
