"""`supportdesk eval triage`: route labelled queries exactly as a live turn does, and score it.

    supportdesk eval triage --queries ../shared/data/banking77/train.jsonl
    supportdesk eval triage --queries ../shared/data/clinc150/oos_dev.jsonl

Each query goes through the desk's `SemanticRouter.classify`, built as the desk builds it:
the shipped examples, and the gateway's `triage` model group for the unsure cases (when no
model answers, the examples decide, as in a live turn). `--no-model` measures the examples
alone. Latency is the whole call, the query's embedding included.

Labels: an intent the router knows counts for accuracy and macro-F1; `out_of_scope` is the
out-of-scope class; any other label (another dataset's in-scope intent) counts only as
"in scope" for the false-rejection rate. Queries that are router examples (same id or text)
are counted: figures on them are flattering, so the held-out figures are printed beside.

Last line: `accuracy=… oos_recall=… false_reject_rate=… p95_ms=…`.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desk.triage import build_router, load_examples
from desk.triage.examples import EXAMPLES_DIR
from desk.triage.routes import INTENT_ROUTES, OUT_OF_SCOPE_INTENT, Route
from evals import plots
from evals.measures import percentile
from evals.queries import Query, QueryFileError, read_queries
from evals.report import Report, latency_plot, markdown_table, share
from supportdesk.config import Settings

if TYPE_CHECKING:
    from gateway import Gateway

CONFUSED_PAIRS = 10
CONFUSION_LABELS = 12
WORST_INTENTS = 15


@dataclass(frozen=True)
class Routed:
    truth: str
    predicted: str
    route: Route
    method: str
    seen: bool
    ms: float

    @property
    def true_oos(self) -> bool:
        return self.truth == OUT_OF_SCOPE_INTENT

    @property
    def known(self) -> bool:
        return self.truth in INTENT_ROUTES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=Path, required=True, help="queries.jsonl with intents")
    parser.add_argument("--no-model", action="store_true", help="the examples alone decide")
    parser.add_argument("--limit", type=int, help="only the first N labelled queries")


async def measure(args: argparse.Namespace, settings: Settings, gateway: Gateway) -> dict[str, Any]:
    queries = [q for q in read_queries(args.queries) if q.intent is not None][: args.limit]
    if not queries:
        raise QueryFileError(f"{args.queries}: no query has an 'intent' label")
    router = await build_router(
        settings, gateway.embedder, None if args.no_model else gateway, examples_dir=EXAMPLES_DIR
    )
    examples = load_examples(EXAMPLES_DIR).examples
    seen_ids = {example.id for example in examples}
    seen_texts = {example.query.strip().lower() for example in examples}
    await router.classify("warm up")  # the model's first call is not a query's cost
    routed: list[Routed] = []
    for query in queries:
        started = time.perf_counter()
        decision = await router.classify(query.query)
        ms = (time.perf_counter() - started) * 1000
        routed.append(
            Routed(
                truth=_label(query),
                predicted=decision.intent or str(decision.route),
                route=decision.route,
                method=decision.method,
                seen=query.id in seen_ids or query.query.strip().lower() in seen_texts,
                ms=ms,
            )
        )
    figures = score(routed)
    figures["held_out"] = score([r for r in routed if not r.seen], with_details=False)
    figures["model"] = "off" if args.no_model else "triage group when unsure"
    return figures


def _label(query: Query) -> str:
    assert query.intent is not None
    return query.intent


def score(routed: list[Routed], *, with_details: bool = True) -> dict[str, Any]:
    known = [r for r in routed if r.known]
    oos = [r for r in routed if r.true_oos]
    in_scope = [r for r in routed if not r.true_oos]
    latencies = [r.ms for r in routed]
    figures: dict[str, Any] = {
        "queries": len(routed),
        "router_examples": sum(r.seen for r in routed),
        "unknown_labels": len(routed) - len(known),
        "accuracy": _share(known, lambda r: r.predicted == r.truth),
        "route_accuracy": _share(known, lambda r: r.route is INTENT_ROUTES[r.truth]),
        "macro_f1": macro_f1([(r.truth, r.predicted) for r in known]),
        "oos_queries": len(oos),
        "oos_recall": _share(oos, lambda r: r.route is Route.OUT_OF_SCOPE),
        "in_scope_queries": len(in_scope),
        "false_reject_rate": _share(in_scope, lambda r: r.route is Route.OUT_OF_SCOPE),
        "model_decided": _share(routed, lambda r: r.method == "model"),
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
    }
    if with_details:
        pairs = Counter((r.truth, r.predicted) for r in known if r.truth != r.predicted)
        figures["confused_pairs"] = [[t, p, n] for (t, p), n in pairs.most_common(CONFUSED_PAIRS)]
        figures["per_intent_f1"] = per_intent_f1([(r.truth, r.predicted) for r in known])
        figures["latencies_ms"] = latencies
        figures["confusion"] = confusion([(r.truth, r.predicted) for r in known])
    return figures


def _share(rows: list[Routed], hit: Any) -> float | None:
    return sum(1 for r in rows if hit(r)) / len(rows) if rows else None


def per_intent_f1(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """F1 of every label that occurs as a truth."""
    truths = Counter(t for t, _ in pairs)
    predicted = Counter(p for _, p in pairs)
    correct = Counter(t for t, p in pairs if t == p)
    f1: dict[str, float] = {}
    for label in truths:
        precision = correct[label] / predicted[label] if predicted[label] else 0.0
        recall = correct[label] / truths[label]
        total = precision + recall
        f1[label] = 2 * precision * recall / total if total else 0.0
    return f1


def macro_f1(pairs: list[tuple[str, str]]) -> float | None:
    scores = per_intent_f1(pairs)
    return sum(scores.values()) / len(scores) if scores else None


def confusion(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """The confusion matrix restricted to the labels of the most confused pairs."""
    mistakes = Counter((t, p) for t, p in pairs if t != p)
    labels: list[str] = []
    for (truth, predicted), _ in mistakes.most_common():
        for label in (truth, predicted):
            if label not in labels and len(labels) < CONFUSION_LABELS:
                labels.append(label)
        if len(labels) >= CONFUSION_LABELS:
            break
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for truth, predicted in pairs:
        if truth in index and predicted in index:
            matrix[index[truth]][index[predicted]] += 1
    return {"labels": labels, "matrix": matrix}


def report(result: dict[str, Any], command: str) -> Report:
    held = result["held_out"]
    summary = [
        (
            "queries (router examples among them)",
            f"{result['queries']} ({result['router_examples']})",
        ),
        ("intent accuracy (held out)", f"{share(result['accuracy'])} ({share(held['accuracy'])})"),
        ("macro-F1 (held out)", f"{share(result['macro_f1'])} ({share(held['macro_f1'])})"),
        ("route accuracy", share(result["route_accuracy"])),
        ("out-of-scope recall", f"{share(result['oos_recall'])} of {result['oos_queries']}"),
        (
            "in-scope false rejection",
            f"{share(result['false_reject_rate'])} of {result['in_scope_queries']}",
        ),
        ("decided by the model", share(result["model_decided"])),
        (
            "routing p50 / p95 / p99 (ms)",
            f"{result['p50_ms']:.2f} / {result['p95_ms']:.2f} / {result['p99_ms']:.2f}",
        ),
        ("labels the router does not know", str(result["unknown_labels"])),
        ("model fallback", result["model"]),
    ]
    pairs = markdown_table(["true intent", "predicted", "queries"], result["confused_pairs"])
    worst = dict(sorted(result["per_intent_f1"].items(), key=lambda item: item[1])[:WORST_INTENTS])
    plot_list: list[tuple[str, Any]] = [
        latency_plot(
            "routing latency", result["latencies_ms"], "Triage: routing latency per query"
        ),
    ]
    if result["confusion"]["labels"]:
        plot_list.insert(
            0,
            (
                "most confused intents",
                partial(
                    plots.confusion_png,
                    labels=result["confusion"]["labels"],
                    matrix=result["confusion"]["matrix"],
                    title="Triage: the most confused intents (rows: true)",
                ),
            ),
        )
    if worst:
        plot_list.append(
            (
                "lowest F1 intents",
                partial(
                    plots.bars_png,
                    values=worst,
                    title="Triage: intents with the lowest F1",
                    xlabel="F1",
                ),
            )
        )
    return Report(
        name="triage",
        title="Triage quality",
        command=command,
        summary=summary,
        sections=[("Most confused pairs", pairs if result["confused_pairs"] else "None.")],
        plots=plot_list,
    )


def last_line(result: dict[str, Any]) -> str:
    return (
        f"accuracy={share(result['accuracy'])} oos_recall={share(result['oos_recall'])} "
        f"false_reject_rate={share(result['false_reject_rate'])} p95_ms={result['p95_ms']:.2f}"
    )
