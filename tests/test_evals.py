"""The quality evals (supportdesk eval triage|retrieval|answers): their measures, their input
checks and the commands end to end on small fixture files with the real local embedder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desk.triage.routes import Route
from evals.queries import QueryFileError, read_queries
from evals.ranking import distinct, hit_at, ndcg_at, recall_at, reciprocal_rank
from evals.triage import Routed, confusion, macro_f1, score

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "evals"


def test_queries_are_read_with_their_history_and_labels() -> None:
    queries = read_queries(FIXTURES / "queries.jsonl")
    assert [q.id for q in queries] == ["q1", "q2", "q3", "q4"]
    assert queries[0].history[1] == ("assistant", "The Allenbell is cheap and has free parking.")
    assert queries[0].relevant_ids == ("hotel/1/review/0",)
    assert queries[3].history == ()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: invalid JSON"),
        ('{"id": "x"}', "line 2: 'query' must be a non-empty string"),
        ('{"query": "hi", "history": "earlier"}', "line 2: 'history' must be a list"),
        ('{"query": "hi", "relevant_ids": [1]}', "line 2: 'relevant_ids' must be a list of str"),
    ],
)
def test_a_bad_line_is_named_not_skipped(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"query": "fine"}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(QueryFileError, match=message):
        read_queries(path)


def test_ranking_measures() -> None:
    ranked = distinct(["a", "b", "a", "c", "d"])
    assert ranked == ["a", "b", "c", "d"]
    assert hit_at(ranked, {"c"}, 2) == 0.0
    assert hit_at(ranked, {"c"}, 3) == 1.0
    assert recall_at(ranked, {"b", "c", "z"}, 3) == pytest.approx(2 / 3)
    assert reciprocal_rank(ranked, {"c", "d"}) == pytest.approx(1 / 3)
    assert ndcg_at(["a", "b"], {"a", "b"}) == pytest.approx(1.0)
    assert ndcg_at(["x", "a"], {"a"}) == pytest.approx(1 / 1.5849625, rel=1e-6)


def routed(truth: str, predicted: str, route: Route) -> Routed:
    return Routed(truth, predicted, route, "semantic", seen=False, ms=1.0)


def test_triage_figures_separate_accuracy_out_of_scope_and_false_rejection() -> None:
    rows = [
        routed("card_arrival", "card_arrival", Route.KNOWLEDGE),
        routed("card_arrival", "card_delivery_estimate", Route.KNOWLEDGE),
        routed("change_pin", "out_of_scope", Route.OUT_OF_SCOPE),
        routed("out_of_scope", "out_of_scope", Route.OUT_OF_SCOPE),
        routed("out_of_scope", "greeting", Route.SMALLTALK),
        routed("alarm", "out_of_scope", Route.OUT_OF_SCOPE),  # another dataset's in-scope label
    ]
    figures = score(rows)
    assert figures["accuracy"] == pytest.approx(2 / 5)  # "alarm" is not a label the desk knows
    assert figures["oos_recall"] == pytest.approx(1 / 2)
    assert figures["false_reject_rate"] == pytest.approx(2 / 4)
    assert figures["unknown_labels"] == 1
    assert figures["confused_pairs"][0][:2] in (
        ["card_arrival", "card_delivery_estimate"],
        ["change_pin", "out_of_scope"],
        ["out_of_scope", "greeting"],
    )
    assert macro_f1([("a", "a"), ("b", "a")]) == pytest.approx((2 / 3 + 0) / 2)
    matrix = confusion([("a", "b"), ("a", "b"), ("a", "a"), ("c", "c")])
    assert matrix["labels"] == ["a", "b"]
    assert matrix["matrix"] == [[1, 2], [0, 0]]


def supportdesk(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(data_dir), "SEMANTIC_CACHE_ENABLED": "false"}
    return subprocess.run(
        [sys.executable, "-m", "supportdesk.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


@pytest.fixture(scope="module")
def data_dir(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Shared with tests/test_triage.py: the router's example embeddings are cached there."""
    if pytestconfig.cache is None:
        return tmp_path_factory.mktemp("triage-data")
    return pytestconfig.cache.mkdir("triage-data")


def test_eval_triage_end_to_end(tmp_path: Path, data_dir: Path) -> None:
    figures = tmp_path / "triage.json"
    done = supportdesk(
        "eval", "triage", "--queries", str(FIXTURES / "intents.jsonl"), "--no-model",
        "--json", str(figures), "--reports", str(tmp_path / "reports"), data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("accuracy=") and " oos_recall=" in last and " p95_ms=" in last
    result = json.loads(figures.read_text())
    assert result["queries"] == 9 and result["unknown_labels"] == 1
    assert result["oos_queries"] == 3 and result["in_scope_queries"] == 6
    # Plain questions each router example set covers: a broken router fails here.
    assert result["accuracy"] >= 0.5 and result["oos_recall"] >= 2 / 3
    report = next((tmp_path / "reports").glob("triage-*/report.md"))
    text = report.read_text()
    assert "![routing latency](routing-latency.png)" in text
    assert (report.parent / "routing-latency.png").read_bytes().startswith(b"\x89PNG")


def test_eval_retrieval_tracks_the_entity_across_turns(tmp_path: Path, data_dir: Path) -> None:
    figures = tmp_path / "retrieval.json"
    done = supportdesk(
        "eval", "retrieval", "--queries", str(FIXTURES / "queries.jsonl"),
        "--documents", str(FIXTURES / "documents.jsonl"), "--k", "1",
        "--json", str(figures), "--reports", str(tmp_path / "reports"), data_dir=data_dir,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1].startswith("hit_at_k=1.0000 mrr=1.0000 ")
    result = json.loads(figures.read_text())
    assert result["queries"] == 4 and result["documents"] == 6
    assert result["by_context"]["entity tracked"]["queries"] == 3
    report = next((tmp_path / "reports").glob("retrieval-*/report.md"))
    assert (report.parent / "hit-k-and-recall-k.png").is_file()


def test_an_unusable_queries_file_exits_2_with_the_reason(tmp_path: Path, data_dir: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{oops\n", encoding="utf-8")
    done = supportdesk("eval", "triage", "--queries", str(bad), data_dir=data_dir)
    assert done.returncode == 2
    assert "line 1: invalid JSON" in done.stderr
    missing = supportdesk(
        "eval", "retrieval", "--queries", str(FIXTURES / "queries.jsonl"),
        "--documents", str(tmp_path / "nowhere.jsonl"), data_dir=data_dir,
    )  # fmt: skip
    assert missing.returncode == 2
    assert "nowhere.jsonl: no such file" in missing.stderr
