"""Rebuilds the triage router's generated examples from BANKING77 and CLINC150.

    .venv/bin/python tools/build_router_examples.py            # reads ../shared/data

Inputs are in the queries.jsonl shape of the evaluation data: BANKING77's train split and
CLINC150's out-of-scope utterances. Writes banking77.jsonl and clinc150_oos.jsonl into
services/desk/triage/examples/; the hand-written files beside them are left alone.

BANKING77: a stratified 80% of the train split (scikit-learn's `train_test_split`, seed 0),
so every intent keeps a fifth of its utterances that the router never sees; `supportdesk
eval triage` reports its figures on those separately. Held-out intent accuracy grew with
the examples shipped (same head, ADR 0018): 27 an intent 0.908, 50 an intent 0.914, 100 an
intent 0.926, all 80% 0.927; the earlier 27 medoids an intent with kNN alone, 0.892.

CLINC150 out of scope: a seeded random half; the other half stays unseen for measuring.

Seeded, so a rebuild writes the same files.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import train_test_split

from desk.triage.examples import EXAMPLES_DIR
from desk.triage.routes import BANKING77_INTENTS, OUT_OF_SCOPE_INTENT

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
HELD_OUT = 0.2


def main() -> None:
    parser = argparse.ArgumentParser(description="Rebuild the router's generated examples.")
    parser.add_argument("--banking77", type=Path, default=SHARED_DATA / "banking77/train.jsonl")
    parser.add_argument("--clinc-oos", type=Path, default=SHARED_DATA / "clinc150/oos_dev.jsonl")
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    banking = read_jsonl(args.banking77)
    unknown = {row["intent"] for row in banking} - set(BANKING77_INTENTS)
    if unknown:
        raise SystemExit(f"intents missing from desk.triage.routes: {sorted(unknown)}")
    shipped = select_banking(banking, args.seed)
    write_jsonl(args.out / "banking77.jsonl", [banking[i] for i in shipped])

    oos = [row for row in read_jsonl(args.clinc_oos) if row["intent"] == OUT_OF_SCOPE_INTENT]
    order = np.random.default_rng(args.seed).permutation(len(oos))
    half = sorted(order[: len(oos) // 2].tolist())
    write_jsonl(args.out / "clinc150_oos.jsonl", [oos[i] for i in half])

    size = sum(path.stat().st_size for path in args.out.glob("*.jsonl"))
    print(f"{len(shipped)} BANKING77 and {len(half)} CLINC150 examples; all files {size:,} bytes")


def select_banking(rows: list[dict[str, Any]], seed: int) -> list[int]:
    """Row numbers of the shipped part, in file order."""
    shipped, _ = train_test_split(
        np.arange(len(rows)),
        test_size=HELD_OUT,
        stratify=[row["intent"] for row in rows],
        random_state=seed,
    )
    return sorted(int(i) for i in shipped)


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
