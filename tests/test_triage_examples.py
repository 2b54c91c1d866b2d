"""The router's shipped examples and the intent → route mapping; no model needed."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from desk.triage import EXAMPLES_DIR, INTENT_ROUTES, Route, load_examples, route_for
from desk.triage.routes import BANKING77_INTENTS, OUT_OF_SCOPE_INTENT, ROUTE_DESCRIPTIONS

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
needs_shared_data = pytest.mark.skipif(
    not SHARED_DATA.is_dir(), reason="the source datasets live outside this repository"
)


@pytest.fixture(scope="module")
def counts() -> Counter[str]:
    return Counter(example.intent for example in load_examples().examples)


def test_every_banking77_intent_has_examples(counts: Counter[str]) -> None:
    assert len(set(BANKING77_INTENTS)) == 77
    # The build takes 27 an intent, or half of an intent with fewer than 54 utterances.
    thin = {intent: counts[intent] for intent in BANKING77_INTENTS if counts[intent] < 17}
    assert thin == {}


def test_every_route_and_hand_written_intent_has_examples(counts: Counter[str]) -> None:
    routes = Counter[Route]()
    for intent, count in counts.items():
        routes[route_for(intent)] += count
    assert set(routes) == set(Route)
    assert counts["human_agent"] >= 30
    assert all(counts[intent] >= 8 for intent in ("greeting", "thanks", "goodbye", "bot_identity"))
    assert counts[OUT_OF_SCOPE_INTENT] >= 100


def test_the_intent_to_route_mapping_is_total(counts: Counter[str]) -> None:
    assert set(counts) <= set(INTENT_ROUTES)
    assert {intent for intent, route in INTENT_ROUTES.items() if route is Route.KNOWLEDGE} == set(
        BANKING77_INTENTS
    )
    assert set(ROUTE_DESCRIPTIONS) == set(Route)
    with pytest.raises(ValueError, match="no route"):
        route_for("order_pizza")


@needs_shared_data
def test_banking77_labels_are_the_datasets() -> None:
    categories = json.loads((SHARED_DATA / "banking77" / "categories.json").read_text())
    assert sorted(categories) == sorted(BANKING77_INTENTS)


@needs_shared_data
def test_at_most_half_of_the_clinc_out_of_scope_set_is_used() -> None:
    lines = (SHARED_DATA / "clinc150" / "oos_dev.jsonl").read_text().splitlines()
    source = {row["id"]: row["query"] for row in map(json.loads, lines)}
    used = [example for example in load_examples().examples if example.id.startswith("clinc-")]
    assert used
    assert all(source[example.id] == example.query for example in used)
    assert len(used) <= len(source) // 2


def test_the_examples_stay_small() -> None:
    # 80% of BANKING77's train split is about 1 MB; the whole of it would still fit.
    assert sum(path.stat().st_size for path in EXAMPLES_DIR.iterdir()) < 1_500_000


def write(directory: Path, name: str, rows: list[dict[str, str]]) -> None:
    directory.mkdir(exist_ok=True)
    (directory / name).write_text("".join(json.dumps(row) + "\n" for row in rows))


GOOD = {"id": "a", "query": "hello", "intent": "greeting"}


@pytest.mark.parametrize(
    ("rows", "error"),
    [
        (
            [{"id": "b", "query": "order me a pizza", "intent": "order_pizza"}],
            "intent 'order_pizza' has no route",
        ),
        ([GOOD, GOOD], "duplicate example id"),
        ([{"id": "c", "query": "  ", "intent": "greeting"}], "empty query"),
        ([{"id": "d", "intent": "greeting"}], "not an example line"),
    ],
)
def test_the_loader_refuses_what_the_router_cannot_use(
    tmp_path: Path, rows: list[dict[str, str]], error: str
) -> None:
    write(tmp_path, "bad.jsonl", rows)
    with pytest.raises(ValueError, match=rf"bad\.jsonl:\d+: {error}"):
        load_examples(tmp_path)


def test_the_fingerprint_follows_the_contents(tmp_path: Path) -> None:
    write(tmp_path, "a.jsonl", [GOOD])
    first = load_examples(tmp_path).fingerprint
    assert load_examples(tmp_path).fingerprint == first
    write(tmp_path, "a.jsonl", [{**GOOD, "query": "hello there"}])
    assert load_examples(tmp_path).fingerprint != first
