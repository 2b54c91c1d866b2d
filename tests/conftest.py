"""Shared fixtures. Nothing here reaches the network; servers run on loopback only."""

from __future__ import annotations

import os

# Before any test module imports LiteLLM or transformers.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from collections.abc import Iterator

import pytest

from tests.support.postgres import temporary_postgres


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
