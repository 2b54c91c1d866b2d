"""Shared fixtures. Nothing here reaches the network; servers run on loopback only."""

from __future__ import annotations

import logging
import os

# Before any test module imports LiteLLM or transformers.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from desk.records.sqlite import SqliteRecords
from tests.support.postgres import temporary_postgres


@pytest.fixture
async def records(tmp_path: Path) -> AsyncIterator[SqliteRecords]:
    """Embedded records with one conversation, "c1" of tenant "harbor", for agent tests."""
    store = SqliteRecords(tmp_path / "desk.sqlite")
    await store.setup()
    await store.create_conversation("c1", "harbor")
    yield store
    await store.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for contract tests; CI must have one, a laptop may not."""
    try:
        with temporary_postgres() as url:
            yield url
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{exc}; install Debian's postgresql package to run these tests")


@pytest.fixture(scope="session", autouse=True)
def shared_router_cache(pytestconfig: pytest.Config) -> Iterator[None]:
    """Every desk the tests start reads one router cache: embedding the 8,000 examples and
    fitting the head take about a minute, once per machine rather than once per module."""
    if getattr(pytestconfig, "cache", None) is None or "ROUTER_CACHE_DIR" in os.environ:
        yield
        return
    os.environ["ROUTER_CACHE_DIR"] = str(pytestconfig.cache.mkdir("router"))
    try:
        yield
    finally:
        del os.environ["ROUTER_CACHE_DIR"]


@pytest.fixture(scope="session", autouse=True)
def no_card_number_leaves_the_desk() -> Iterator[None]:
    """Fails the run (at its end) if any span, log line or audit record of the suite held a
    card number."""
    from telemetry import configure_telemetry
    from tests.support.leak_scan import Leaks, LogScanner, SpanScanner, scanning_audit_records

    leaks = Leaks()
    telemetry = configure_telemetry()
    spans = SpanScanner(leaks)
    telemetry.add_sink(spans)
    logs = LogScanner(leaks)
    root = logging.getLogger()
    level = root.level
    root.addHandler(logs)
    root.setLevel(logging.INFO)
    for noisy in ("httpx", "LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        with scanning_audit_records(leaks):
            yield
    finally:
        root.removeHandler(logs)
        root.setLevel(level)
        telemetry.remove_sink(spans)
    assert not leaks.found, "card numbers left the desk:\n" + "\n".join(leaks.found[:20])
