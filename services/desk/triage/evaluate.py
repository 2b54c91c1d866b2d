"""Measures the router on labelled queries it was not built from; no model is called.

    python -m desk.triage.evaluate ../shared/data/banking77/train.jsonl \\
        ../shared/data/clinc150/oos_dev.jsonl [--sweep]

Reads queries.jsonl files, drops every query that is one of the router's examples (same
id or same text) so only unseen messages count, embeds the rest with the configured
embedder and reports, at the thresholds in settings: route accuracy and model-ask rate per
true route, intent top-1 accuracy, and out-of-scope precision and recall. `--sweep`
repeats the summary over a grid of thresholds; the defaults were chosen from it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from desk.triage.decision import RouteDecision, semantic_decision
from desk.triage.examples import EXAMPLES_DIR, ExampleSet, load_examples
from desk.triage.index import embed_batched, load_index
from desk.triage.routes import INTENT_ROUTES, Route
from desk.triage.scoring import Scores, score
from supportdesk.config import get_settings

SWEEP_OUT_OF_SCOPE = (0.50, 0.55, 0.59, 0.63)
SWEEP_ROUTER = (0.50, 0.55, 0.62, 0.70)


@dataclass(frozen=True)
class Labelled:
    query: str
    intent: str

    @property
    def route(self) -> Route:
        return INTENT_ROUTES[self.intent]


@dataclass(frozen=True)
class Figures:
    per_route: dict[Route, tuple[int, float, float]]
    """True route -> (queries, route accuracy, share sent to the model)."""
    intent_accuracy: float
    """Top-1 intent accuracy over queries whose true route is not out_of_scope."""
    oos_precision: float
    oos_recall: float
    asked: float


def held_out(paths: Sequence[Path], examples: ExampleSet) -> tuple[list[Labelled], int, int]:
    """Unseen labelled queries, with how many were dropped as examples and as unknown intents."""
    seen_ids = {example.id for example in examples.examples}
    seen_texts = {example.query.strip().lower() for example in examples.examples}
    queries: list[Labelled] = []
    seen = unknown = 0
    for path in paths:
        with path.open(encoding="utf-8") as file:
            for line in file:
                if not line.strip():
                    continue
                row = json.loads(line)
                if row["id"] in seen_ids or row["query"].strip().lower() in seen_texts:
                    seen += 1
                elif row.get("intent") not in INTENT_ROUTES:
                    unknown += 1
                else:
                    queries.append(Labelled(row["query"], row["intent"]))
    return queries, seen, unknown


def measure(
    truths: Sequence[Labelled], decisions: Sequence[RouteDecision], router_threshold: float
) -> Figures:
    asked = [decision.confidence < router_threshold for decision in decisions]
    per_route: dict[Route, tuple[int, float, float]] = {}
    for route in Route:
        rows = [i for i, truth in enumerate(truths) if truth.route is route]
        if rows:
            correct = sum(decisions[i].route is route for i in rows)
            sent = sum(asked[i] for i in rows)
            per_route[route] = (len(rows), correct / len(rows), sent / len(rows))
    in_scope = [i for i, truth in enumerate(truths) if truth.route is not Route.OUT_OF_SCOPE]
    intent_hits = sum(decisions[i].intent == truths[i].intent for i in in_scope)
    predicted_oos = {i for i, d in enumerate(decisions) if d.route is Route.OUT_OF_SCOPE}
    true_oos = {i for i, truth in enumerate(truths) if truth.route is Route.OUT_OF_SCOPE}
    hits = len(predicted_oos & true_oos)
    return Figures(
        per_route=per_route,
        intent_accuracy=intent_hits / max(len(in_scope), 1),
        oos_precision=hits / max(len(predicted_oos), 1),
        oos_recall=hits / max(len(true_oos), 1),
        asked=sum(asked) / max(len(asked), 1),
    )


def report(figures: Figures) -> str:
    lines = [f"{'true route':<14}{'queries':>8}{'route acc':>11}{'asked':>8}"]
    for route, (count, accuracy, asked) in figures.per_route.items():
        lines.append(f"{route.value:<14}{count:>8}{accuracy:>11.4f}{asked:>8.3f}")
    lines.append(f"intent top-1 (in scope): {figures.intent_accuracy:.4f}")
    lines.append(
        f"out of scope: precision {figures.oos_precision:.3f}, recall {figures.oos_recall:.3f}"
    )
    lines.append(f"model would be asked for {figures.asked:.1%} of queries")
    return "\n".join(lines)


def sweep(truths: Sequence[Labelled], scores: Sequence[Scores]) -> str:
    lines = ["oos_t  router_t  knowledge_acc  oos_recall  oos_precision  intent_acc  asked"]
    for oos_t, router_t in itertools.product(SWEEP_OUT_OF_SCOPE, SWEEP_ROUTER):
        figures = measure(truths, [semantic_decision(s, oos_t) for s in scores], router_t)
        knowledge = figures.per_route.get(Route.KNOWLEDGE, (0, 0.0, 0.0))[1]
        lines.append(
            f"{oos_t:<7.2f}{router_t:<10.2f}{knowledge:<15.4f}{figures.oos_recall:<12.3f}"
            f"{figures.oos_precision:<15.3f}{figures.intent_accuracy:<12.4f}{figures.asked:.3f}"
        )
    return "\n".join(lines)


async def run(paths: Sequence[Path], examples_dir: Path, show_sweep: bool) -> None:
    # Imported here: the gateway pulls in LiteLLM, which the rest of this module never needs.
    from gateway import build_gateway

    settings = get_settings()
    gateway = build_gateway(settings)
    try:
        embedder = gateway.embedder
        examples = await asyncio.to_thread(load_examples, examples_dir)
        index = await load_index(examples, embedder, settings.router_cache)
        truths, seen, unknown = held_out(paths, examples)
        print(f"{len(truths)} unseen queries ({seen} are examples, {unknown} unknown intents)")
        vectors = await embed_batched(embedder, [truth.query for truth in truths])
    finally:
        await gateway.aclose()
    scores = [score(index, vector) for vector in vectors]
    decisions = [semantic_decision(s, settings.out_of_scope_threshold) for s in scores]
    print(
        f"embedder {embedder.name}, router_threshold {settings.router_threshold}, "
        f"out_of_scope_threshold {settings.out_of_scope_threshold}"
    )
    print(report(measure(truths, decisions, settings.router_threshold)))
    if show_sweep:
        print(sweep(truths, scores))


def main() -> None:
    parser = argparse.ArgumentParser(description="Measure the triage router on held-out queries.")
    parser.add_argument("paths", nargs="+", type=Path, help="queries.jsonl files")
    parser.add_argument("--examples", type=Path, default=EXAMPLES_DIR)
    parser.add_argument("--sweep", action="store_true", help="also try a grid of thresholds")
    args = parser.parse_args()
    asyncio.run(run(args.paths, args.examples, args.sweep))


if __name__ == "__main__":
    main()
