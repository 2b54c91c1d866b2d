"""The cache replay: its figures against a hand-checked sequence, and its output format."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedder import Vectors
from semantic_cache.evaluate import evaluate, report
from semantic_cache.sweep import simulate
from tests.support.hashing_embedder import HashingEmbedder
from tests.support.redis_server import RedisServer, temporary_redis


def test_wrong_hits_are_hits_served_for_another_true_intent() -> None:
    vectors = np.eye(3, dtype=np.float32)[[0, 0, 0, 1, 1]]
    questions = ["a", "b", "c", "d", "D?"]
    keys = ["x", "x", "x", "y", "y"]
    truths = ["card", "card", "fees", "pin", "pin"]
    outcome = simulate(questions, vectors, keys, truths, 0.9)
    # b hits a (right), c hits a (wrong: fees served card), D? hits d exactly.
    assert (outcome.queries, outcome.hits, outcome.exact_hits, outcome.wrong_hits) == (5, 3, 1, 1)
    assert outcome.wrong_hit_rate == pytest.approx(1 / 3)
    skipped = simulate(questions, vectors, keys, truths, 0.9, looked_up=[True] * 3 + [False] * 2)
    assert (skipped.queries, skipped.hits) == (5, 2)


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    with temporary_redis() as running:
        yield running


async def test_replay_on_redis_matches_the_simulation(server: RedisServer, tmp_path: Path) -> None:
    intents = ["card_arrival", "exchange_rate", "lost_or_stolen_card"]
    words = {
        "card_arrival": "when will my new card arrive in the post",
        "exchange_rate": "what exchange rate do you use for euros",
        "lost_or_stolen_card": "i lost my card what do i do now",
    }
    rows = []
    for n in range(300):
        intent = intents[n % 3]
        # Mostly paraphrases of one sentence per intent, with a word or two swapped.
        text = words[intent].split()
        text[n % len(text)] = f"w{n % 7}"
        # Every fifth row carries a wrong label, so some hits must count as wrong.
        label = intents[(n + 1) % 3] if n % 5 == 0 else intent
        rows.append({"id": f"r{n}", "query": " ".join(text), "intent": label, "_key": intent})
    path = tmp_path / "queries.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    key_of = {row["query"]: row["_key"] for row in rows}
    embedder = HashingEmbedder(384)
    order = [row["query"] for row in rows]

    async def classify(vectors: Vectors) -> list[tuple[str, str | None, float | None]]:
        texts = iter(order)
        return [("knowledge", key_of[next(texts)], 1.0) for _ in vectors]

    result = await evaluate(
        path,
        shuffle_seed=None,
        redis_url=server.url,
        thresholds=(0.5, 0.9),
        threshold=0.5,
        embedder=embedder,
        classify=classify,
        example_ids=frozenset(f"r{n}" for n in range(100)),
    )
    assert (result.rows, result.held_out_rows) == (300, 200)
    assert result.replay_all.hits > 0
    assert result.replay_all.wrong_hits > 0
    simulated = result.sweep[0].all_rows
    # HNSW and 8-bit quantisation may move a borderline pair; nothing more.
    assert abs(result.replay_all.hits - simulated.hits) <= 3
    assert abs(result.replay_all.wrong_hits - simulated.wrong_hits) <= 3
    assert result.replay_all.wrong_hit_rate == result.replay_all.wrong_hits / result.replay_all.hits
    # The replay's namespace is gone afterwards.
    assert server.client().keys("semcache-eval-*") == []

    output = report(result)
    assert "personal-phrasing rule is bypassed" in output
    assert re.fullmatch(r"hit_rate=0\.\d{4} wrong_hit_rate=0\.\d{4}", output.splitlines()[-1])
    held = result.replay_held_out
    assert output.splitlines()[-1] == (
        f"hit_rate={held.hit_rate:.4f} wrong_hit_rate={held.wrong_hit_rate:.4f}"
    )
