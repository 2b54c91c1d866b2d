"""Measures the cache's matching quality by replaying labelled questions in order: each is
looked up and, on a miss, stored with its true intent as the "answer", so a hit whose answer
is another intent is a wrong answer served.

    supportdesk eval cache --queries ../shared/data/banking77/train.jsonl --shuffle 0

The replay runs against a real Redis under a namespace of its own, deleted afterwards; with
no Redis at --redis-url a throwaway one is started. Intents come from the desk's router
(examples only, no model). BANKING77 questions are mostly first-person, which the policy
never caches, so the matching replay bypasses the personal-phrasing rule; the hit rate
with the policy applied is reported beside it. The router's examples are BANKING77 rows,
so figures are given for all rows and for the held-out rows that are not examples; the
last line is the held-out replay on Redis. Questions whose router vote share for the top
intent is below `--min-confidence` are neither looked up nor stored (the desk's gate), but
still count as queries, so the hit rate is a share of all traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from knowledge.embedder import Embedder, Vectors
from semantic_cache.cache import SemanticCache, open_semantic_cache
from semantic_cache.policy import is_cacheable
from semantic_cache.settings import DEFAULT_MIN_CONFIDENCE, DEFAULT_THRESHOLD, CacheSettings
from semantic_cache.sweep import Outcome, simulate

SWEEP = (0.70, 0.75, 0.80, 0.85, 0.90, 0.95)
# Router vote-share floors swept beside the thresholds; 0.0 is the ungated cache.
SWEEP_MIN_CONFIDENCE = (0.0, 0.85, 0.90, 0.95)
TENANT = "eval"
KB_VERSION = "replay"
# Generous: the replay measures matching, not latency, on a machine that is also embedding.
EVAL_OP_TIMEOUT_MS = 2000
# (route, intent, confidence) for each query vector; confidence is the top intent's vote
# share, what the desk passes to the cache (None: not gated).
Classify = Callable[[Vectors], Awaitable[list[tuple[str, str | None, float | None]]]]


@dataclass(frozen=True)
class Row:
    id: str
    query: str
    intent: str
    had_history: bool


@dataclass(frozen=True)
class SweepLine:
    threshold: float
    min_confidence: float
    all_rows: Outcome
    held_out: Outcome
    held_out_with_policy: Outcome


@dataclass(frozen=True)
class CacheEvaluation:
    threshold: float
    min_confidence: float
    gated_share: float
    """Share of held-out rows the confidence gate keeps away from the cache."""
    rows: int
    held_out_rows: int
    cacheable_share: float
    """Share of held-out rows the policy would cache (knowledge route, not personal)."""
    replay_all: Outcome
    replay_held_out: Outcome
    sweep: list[SweepLine]


def load_rows(path: Path, shuffle_seed: int | None) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            raw = json.loads(line)
            if raw.get("intent"):
                rows.append(
                    Row(str(raw["id"]), raw["query"], raw["intent"], bool(raw.get("history")))
                )
    if shuffle_seed is not None:
        random.Random(shuffle_seed).shuffle(rows)
    return rows


async def evaluate(
    queries_path: Path,
    *,
    shuffle_seed: int | None,
    redis_url: str,
    thresholds: Sequence[float] = SWEEP,
    threshold: float = DEFAULT_THRESHOLD,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    min_confidences: Sequence[float] | None = None,
    embedder: Embedder | None = None,
    classify: Classify | None = None,
    example_ids: frozenset[str] | None = None,
) -> CacheEvaluation:
    from desk.triage.index import embed_batched

    rows = load_rows(queries_path, shuffle_seed)
    if embedder is None:
        from knowledge.embedder import LocalEmbedder

        embedder = LocalEmbedder()
    if classify is None or example_ids is None:
        classify, example_ids = await _router(embedder)
    vectors = await embed_batched(embedder, [row.query for row in rows])
    decisions = await classify(vectors)
    intents = [intent or "none" for _, intent, _ in decisions]
    confidences = [confidence for _, _, confidence in decisions]
    held = [row.id not in example_ids for row in rows]
    cacheable = [
        is_cacheable(
            row.query,
            route=route,
            intent=intent,
            had_history=row.had_history,
            grounded=True,
            covered=True,
        ).cacheable
        for row, (route, intent, _) in zip(rows, decisions, strict=True)
    ]
    held_idx = [i for i, keep in enumerate(held) if keep]

    def subset(indices: list[int]) -> tuple[list[str], Vectors, list[str], list[str]]:
        return (
            [rows[i].query for i in indices],
            vectors[indices],
            [intents[i] for i in indices],
            [rows[i].intent for i in indices],
        )

    def gate(floor: float) -> list[bool]:
        return [c is None or c >= floor for c in confidences]

    everything, held_out = subset(list(range(len(rows)))), subset(held_idx)
    sweep = []
    for floor in sorted({min_confidence, *(min_confidences or ())}):
        passes = gate(floor)
        held_passes = [passes[i] for i in held_idx]
        sweep += [
            SweepLine(
                t,
                floor,
                simulate(*everything, t, looked_up=passes),
                simulate(*held_out, t, looked_up=held_passes),
                simulate(
                    *held_out,
                    t,
                    looked_up=[passes[i] and cacheable[i] for i in held_idx],
                ),
            )
            for t in thresholds
        ]
    gated = gate(min_confidence)
    settings = CacheSettings(
        redis_url=redis_url,
        threshold=threshold,
        min_confidence=min_confidence,
        op_timeout_ms=EVAL_OP_TIMEOUT_MS,
        key_prefix=f"semcache-eval-{uuid.uuid4().hex[:12]}",
    )
    cache = open_semantic_cache(settings)
    try:
        replay_all = await _replay(
            cache, rows, vectors, intents, confidences, list(range(len(rows))), "all"
        )
        replay_held = await _replay(
            cache, rows, vectors, intents, confidences, held_idx, "held-out"
        )
    finally:
        await _delete_namespace(cache)
        await cache.close()
    return CacheEvaluation(
        threshold=threshold,
        min_confidence=min_confidence,
        gated_share=sum(not gated[i] for i in held_idx) / max(len(held_idx), 1),
        rows=len(rows),
        held_out_rows=len(held_idx),
        cacheable_share=sum(cacheable[i] for i in held_idx) / max(len(held_idx), 1),
        replay_all=replay_all,
        replay_held_out=replay_held,
        sweep=sweep,
    )


async def _replay(
    cache: SemanticCache,
    rows: Sequence[Row],
    vectors: Vectors,
    intents: Sequence[str],
    confidences: Sequence[float | None],
    indices: Sequence[int],
    population: str,
) -> Outcome:
    hits = exact = wrong = 0
    kb = f"{KB_VERSION}-{population}"
    for i in indices:
        row = rows[i]
        confidence = confidences[i]
        found = await cache.find(
            TENANT, kb, row.query, vectors[i], intents[i], confidence=confidence
        )
        if found.status in ("bypassed", "error"):
            raise RuntimeError(f"Redis failed during the replay ({found.status})")
        if found.hit is None:
            await cache.store(
                TENANT, kb, row.query, vectors[i], intents[i], row.intent, [], {"id": row.id},
                confidence=confidence,
            )  # fmt: skip
            continue
        hits += 1
        exact += found.hit.exact
        wrong += found.hit.answer != row.intent
    return Outcome(len(indices), hits, exact, wrong)


async def _delete_namespace(cache: SemanticCache) -> None:
    client = cache.client
    async for key in client.scan_iter(match=f"{cache.settings.key_prefix}:*", count=1000):
        await client.unlink(key)


async def _router(embedder: Embedder) -> tuple[Classify, frozenset[str]]:
    """The desk's router without a model: what `SemanticRouter.classify` decides when no
    gateway is configured, computed from vectors embedded once, in batches."""
    from desk.triage.decision import semantic_decision
    from desk.triage.examples import load_examples
    from desk.triage.index import load_index
    from desk.triage.scoring import score
    from supportdesk.config import get_settings

    settings = get_settings()
    examples = await asyncio.to_thread(load_examples)
    index = await load_index(examples, embedder, settings.router_cache)

    async def classify(vectors: Vectors) -> list[tuple[str, str | None, float | None]]:
        decisions = [
            semantic_decision(score(index, vector), settings.out_of_scope_threshold)
            for vector in vectors
        ]
        return [
            (str(d.route), d.intent, d.candidates[0][1] if d.candidates else 0.0) for d in decisions
        ]

    return classify, frozenset(example.id for example in examples.examples)


def report(result: CacheEvaluation) -> str:
    def figures(outcome: Outcome) -> str:
        return (
            f"hit rate {outcome.hit_rate:.4f} ({outcome.hits}/{outcome.queries}, "
            f"{outcome.exact_hits} exact), wrong hits {outcome.wrong_hit_rate:.4f} "
            f"({outcome.wrong_hits})"
        )

    lines = [
        f"rows {result.rows}, held out (not router examples) {result.held_out_rows}",
        "matching replay: the personal-phrasing rule is bypassed (BANKING77 is first-person)",
        f"policy would cache {result.cacheable_share:.1%} of held-out questions",
        f"confidence gate (top-intent vote share >= {result.min_confidence:.2f}) keeps "
        f"{result.gated_share:.1%} of held-out questions away from the cache",
        f"Redis replay at threshold {result.threshold:.2f}, min confidence "
        f"{result.min_confidence:.2f}, intent-scoped:",
        f"  all rows:      {figures(result.replay_all)}",
        f"  held-out rows: {figures(result.replay_held_out)}",
        "sweep (exact in-memory simulation; hit rate / wrong-hit rate):",
        "  min-conf  threshold  all rows         held-out         held-out+policy",
    ]
    for line in result.sweep:
        lines.append(
            f"  {line.min_confidence:8.2f}  {line.threshold:9.2f}  "
            + "  ".join(
                f"{o.hit_rate:.4f}/{o.wrong_hit_rate:.4f}"
                for o in (line.all_rows, line.held_out, line.held_out_with_policy)
            )
        )
    held = result.replay_held_out
    lines.append(f"hit_rate={held.hit_rate:.4f} wrong_hit_rate={held.wrong_hit_rate:.4f}")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--queries", type=Path, required=True, help="a queries.jsonl file")
    parser.add_argument("--shuffle", type=int, metavar="SEED", help="replay in a seeded order")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--redis-url", default=CacheSettings().redis_url)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=DEFAULT_MIN_CONFIDENCE,
        help="router vote share of the top intent needed to look up or store",
    )


async def run(args: argparse.Namespace) -> int:
    from localstack.redis import RedisProcess, redis_answers

    url: str = args.redis_url
    server: RedisProcess | None = None
    scratch = tempfile.TemporaryDirectory(prefix="semcache-eval-")
    try:
        if not await redis_answers(url):
            server = RedisProcess(port=_free_port(), directory=Path(scratch.name))
            await server.start()
            print(f"no Redis at {url}; using a throwaway one at {server.url}", file=sys.stderr)
            url = server.url
        result = await evaluate(
            args.queries,
            shuffle_seed=args.shuffle,
            redis_url=url,
            threshold=args.threshold,
            min_confidence=args.min_confidence,
            min_confidences=SWEEP_MIN_CONFIDENCE,
        )
    finally:
        if server is not None:
            server.stop()
        scratch.cleanup()
    if args.json:
        args.json.write_text(json.dumps(asdict(result), indent=2))
    print(report(result))
    return 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    sys.exit(asyncio.run(run(parser.parse_args())))
