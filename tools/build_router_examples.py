"""Rebuilds the triage router's generated examples from BANKING77 and CLINC150.

    .venv/bin/python tools/build_router_examples.py            # reads ../shared/data

Inputs are in the queries.jsonl shape of the evaluation data: BANKING77's train split and
CLINC150's out-of-scope utterances. Writes banking77.jsonl and clinc150_oos.jsonl into
services/desk/triage/examples/; the hand-written files beside them are left alone.

BANKING77: per intent, spherical k-means on all-MiniLM-L6-v2 embeddings with as many
clusters as examples wanted, keeping the utterance nearest each centre (a medoid). Medoids
cover the ways an intent is phrased without the odd outliers a farthest-point sample
favours. Measured on a fixed held-out half of the train split (k=10 votes, as the router
does), intent accuracy with 27 examples an intent: medoids 0.899, seeded random 0.880 (mean
of 4 seeds), farthest-point 0.880; 40 random ones reach 0.895. 27 keeps all example files
under 300 KB. At most half of an intent is taken, so each keeps utterances for measuring.

CLINC150 out of scope: a seeded random half; the other half stays unseen for measuring.

Seeded, so a rebuild on the same machine writes the same files; another CPU's float
rounding can swap a near-tied medoid or two.
"""

from __future__ import annotations

import argparse
import json
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from desk.triage.examples import EXAMPLES_DIR
from desk.triage.routes import BANKING77_INTENTS, OUT_OF_SCOPE_INTENT
from knowledge.embedder import LocalEmbedder, Vectors

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
KMEANS_ITERATIONS = 30


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the router's generated examples.")
    parser.add_argument("--banking77", type=Path, default=SHARED_DATA / "banking77/train.jsonl")
    parser.add_argument("--clinc-oos", type=Path, default=SHARED_DATA / "clinc150/oos_dev.jsonl")
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR)
    parser.add_argument("--per-intent", type=int, default=27)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    banking = read_jsonl(args.banking77)
    unknown = {row["intent"] for row in banking} - set(BANKING77_INTENTS)
    if unknown:
        raise SystemExit(f"intents missing from desk.triage.routes: {sorted(unknown)}")
    print(f"embedding {len(banking)} BANKING77 utterances (about a minute on two cores)")
    vectors = LocalEmbedder().encode([row["query"] for row in banking])
    chosen = select_banking(banking, vectors, args.per_intent, args.seed)
    write_jsonl(args.out / "banking77.jsonl", [banking[i] for i in chosen])

    oos = [row for row in read_jsonl(args.clinc_oos) if row["intent"] == OUT_OF_SCOPE_INTENT]
    order = np.random.default_rng(args.seed).permutation(len(oos))
    half = sorted(order[: len(oos) // 2].tolist())
    write_jsonl(args.out / "clinc150_oos.jsonl", [oos[i] for i in half])

    size = sum(path.stat().st_size for path in args.out.glob("*.jsonl"))
    print(f"{len(chosen)} BANKING77 and {len(half)} CLINC150 examples; all files {size:,} bytes")


def select_banking(
    rows: list[dict[str, Any]], vectors: Vectors, per_intent: int, seed: int
) -> list[int]:
    by_intent: defaultdict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_intent[row["intent"]].append(i)
    chosen: list[int] = []
    for intent, members in by_intent.items():
        # Seeded per intent so one intent's data changing leaves the others' picks alone.
        rng = np.random.default_rng([seed, zlib.crc32(intent.encode())])
        quota = min(per_intent, len(members) // 2)
        picks = medoids(vectors[members], quota, rng)
        chosen.extend(members[p] for p in picks)
    return sorted(chosen)


def medoids(vectors: Vectors, count: int, rng: np.random.Generator) -> list[int]:
    """Rows nearest the centres of `count` spherical k-means clusters, all distinct."""
    centres = vectors[kmeans_plus_plus(vectors, count, rng)].copy()
    assignment = np.full(len(vectors), -1)
    for _ in range(KMEANS_ITERATIONS):
        previous, assignment = assignment, np.argmax(vectors @ centres.T, axis=1)
        if np.array_equal(previous, assignment):
            break
        for c in range(count):
            members = vectors[assignment == c]
            if len(members):
                mean = members.mean(axis=0)
                centres[c] = mean / np.linalg.norm(mean)
    taken: set[int] = set()
    for c in range(count):
        similarity = vectors @ centres[c]
        # Prefer the cluster's own members; an emptied cluster takes the nearest free row.
        for row in np.lexsort((-similarity, assignment != c)).tolist():
            if row not in taken:
                taken.add(row)
                break
    return sorted(taken)


def kmeans_plus_plus(vectors: Vectors, count: int, rng: np.random.Generator) -> list[int]:
    picks = [int(rng.integers(len(vectors)))]
    distance: npt.NDArray[np.float64] = np.clip(1.0 - vectors @ vectors[picks[0]], 0.0, None)
    for _ in range(count - 1):
        weights = distance**2
        if weights.sum() == 0:  # Fewer distinct utterances than clusters: take any free one.
            weights = np.array([0.0 if i in picks else 1.0 for i in range(len(vectors))])
        picks.append(int(rng.choice(len(vectors), p=weights / weights.sum())))
        distance = np.minimum(distance, np.clip(1.0 - vectors @ vectors[picks[-1]], 0.0, None))
    return picks


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as file:
        for row in rows:
            example = {"id": row["id"], "query": row["query"], "intent": row["intent"]}
            file.write(json.dumps(example, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
