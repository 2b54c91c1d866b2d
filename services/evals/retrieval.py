"""`supportdesk eval retrieval`: how often the desk's retrieval finds what answers a question.

    supportdesk eval retrieval --documents ../shared/data/dstc11/documents.jsonl \\
        --queries ../shared/data/dstc11/queries_dev.jsonl

Each query goes through `knowledge.retriever.Retriever`, the code a live turn runs, with its
`history` as the conversation so far. Timing covers the whole retrieval, query embedding
included (the desk reuses triage's embedding, so live turns are a little faster). Documents
rank in the order of their best chunk. Queries with nothing relevant (no `relevant_ids`, and
no intent an article lists) are counted and skipped.

Last line: `hit_at_k=… mrr=… p95_ms=…` (k from --k).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from evals import plots
from evals.corpus import Corpus, isolated_corpus
from evals.measures import percentile
from evals.queries import Query, read_queries
from evals.ranking import distinct, hit_at, ndcg_at, recall_at, reciprocal_rank
from evals.report import Report, latency_plot, markdown_table
from knowledge.retriever import Retriever
from knowledge.vectorstore import open_vector_store
from supportdesk.config import Settings

if TYPE_CHECKING:
    from gateway import Gateway
    from knowledge.embedder import Embedder

CURVE_KS = tuple(range(1, 11))
DEPTH = 10  # documents ranked per query: MRR@10 and nDCG@10
CHUNKS_PER_DOCUMENT = 2  # chunks fetched per document ranked, so long articles still fill 10


@dataclass(frozen=True)
class Ranked:
    query: Query
    ranked: list[str]
    relevant: frozenset[str]
    entities: tuple[str, ...]
    used_history: bool
    ms: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=Path, required=True, help="queries.jsonl")
    parser.add_argument(
        "--documents", type=Path, help="documents.jsonl to ingest (default: the help centre)"
    )
    parser.add_argument("--k", type=int, default=5, help="hit@k and recall@k (default 5)")
    parser.add_argument("--limit", type=int, help="only the first N queries")


async def measure(args: argparse.Namespace, settings: Settings, gateway: Gateway) -> dict[str, Any]:
    embedder = gateway.embedder
    queries = read_queries(args.queries)[: args.limit]
    async with isolated_corpus(settings, embedder, args.documents) as corpus:
        results, skipped = await _run(corpus, embedder, queries)
    return figures(results, skipped, args.k, corpus)


async def _run(
    corpus: Corpus, embedder: Embedder, queries: list[Query]
) -> tuple[list[Ranked], int]:
    store = await open_vector_store(corpus.settings, embedder.name, embedder.dimension)
    try:
        retriever = Retriever(store, embedder, min_score=corpus.settings.retrieval_min_score)
        # Warm: the model's first call and the entity tracker's build are not a query's cost.
        await retriever.retrieve(corpus.tenant, "warm up", limit=1)
        results: list[Ranked] = []
        skipped = 0
        for query in queries:
            relevant = frozenset(corpus.relevant(query))
            if not relevant:
                skipped += 1
                continue
            started = time.perf_counter()
            found = await retriever.retrieve(
                corpus.tenant, query.query, query.history, limit=DEPTH * CHUNKS_PER_DOCUMENT
            )
            ms = (time.perf_counter() - started) * 1000
            ranked = distinct([hit.chunk.doc_id for hit in found.hits])[:DEPTH]
            results.append(Ranked(query, ranked, relevant, found.entities, found.used_history, ms))
    finally:
        await store.close()
    return results, skipped


def figures(results: list[Ranked], skipped: int, k: int, corpus: Corpus) -> dict[str, Any]:
    n = max(len(results), 1)
    latencies = [r.ms for r in results]

    def mean(values: list[float]) -> float:
        return sum(values) / n

    return {
        "queries": len(results),
        "skipped_without_relevant": skipped,
        "documents": corpus.report.documents,
        "k": k,
        "hit_at_k": mean([hit_at(r.ranked, r.relevant, k) for r in results]),
        "recall_at_k": mean([recall_at(r.ranked, r.relevant, k) for r in results]),
        "mrr": mean([reciprocal_rank(r.ranked, r.relevant, DEPTH) for r in results]),
        "ndcg": mean([ndcg_at(r.ranked, r.relevant, DEPTH) for r in results]),
        "curve": {
            "hit": [mean([hit_at(r.ranked, r.relevant, i) for r in results]) for i in CURVE_KS],
            "recall": [
                mean([recall_at(r.ranked, r.relevant, i) for r in results]) for i in CURVE_KS
            ],
        },
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "latencies_ms": latencies,
        "by_context": _by_context(results, k),
        "misses": [
            {"id": r.query.id, "query": r.query.query, "ranked": r.ranked[:k]}
            for r in results
            if not hit_at(r.ranked, r.relevant, k)
        ][:20],
    }


def _by_context(results: list[Ranked], k: int) -> dict[str, dict[str, float]]:
    """hit@k for questions asked alone, anchored on an entity, or read with earlier turns."""
    groups: dict[str, list[Ranked]] = {}
    for r in results:
        if not r.query.history:
            key = "no history"
        elif r.entities:
            key = "entity tracked"
        else:
            key = "history, no entity"
        groups.setdefault(key, []).append(r)
    return {
        key: {
            "queries": len(rows),
            "hit_at_k": sum(hit_at(r.ranked, r.relevant, k) for r in rows) / len(rows),
        }
        for key, rows in sorted(groups.items())
    }


def report(result: dict[str, Any], command: str) -> Report:
    k = result["k"]
    summary = [
        ("queries measured", str(result["queries"])),
        ("skipped (nothing relevant)", str(result["skipped_without_relevant"])),
        ("documents ingested", str(result["documents"])),
        (f"hit@{k}", f"{result['hit_at_k']:.4f}"),
        (f"recall@{k}", f"{result['recall_at_k']:.4f}"),
        ("MRR@10", f"{result['mrr']:.4f}"),
        ("nDCG@10", f"{result['ndcg']:.4f}"),
        ("latency p50 / p95 / p99 (ms)", _ms(result)),
    ]
    contexts = markdown_table(
        ["conversation", "queries", f"hit@{k}"],
        [(key, v["queries"], v["hit_at_k"]) for key, v in result["by_context"].items()],
    )
    misses = markdown_table(
        ["id", "query", f"top {k}"],
        [(m["id"], m["query"][:80], ", ".join(m["ranked"])) for m in result["misses"]],
    )
    ks = list(CURVE_KS)
    curves = {"hit@k": result["curve"]["hit"], "recall@k": result["curve"]["recall"]}
    return Report(
        name="retrieval",
        title="Retrieval quality",
        command=command,
        summary=summary,
        sections=[
            ("By conversation context", contexts),
            ("First misses", misses if result["misses"] else "None."),
        ],
        plots=[
            (
                "hit@k and recall@k",
                partial(
                    plots.hit_at_k_png, ks=ks, curves=curves, title="Retrieval: hit@k and recall@k"
                ),
            ),
            latency_plot(
                "retrieval latency", result["latencies_ms"], "Retrieval latency per query"
            ),
        ],
    )


def last_line(result: dict[str, Any]) -> str:
    return (
        f"hit_at_k={result['hit_at_k']:.4f} mrr={result['mrr']:.4f} "
        f"p95_ms={result['p95_ms']:.2f} k={result['k']}"
    )


def _ms(result: dict[str, Any]) -> str:
    return f"{result['p50_ms']:.2f} / {result['p95_ms']:.2f} / {result['p99_ms']:.2f}"
