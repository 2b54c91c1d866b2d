"""The dashboards and alerts in infra/observability, checked as Prometheus would load them.

promtool validates the scrape config and the rules and runs the rules' unit tests (each
alert fires on the failure it names, with the labels and figures its summary reports,
and a healthy desk raises none). The dashboard's and rules' queries may only name metrics
the desk really exports: the names come from the desk's own instruments and HTTP
instrumentation, through the same Prometheus exporter /metrics uses.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest

from telemetry.instruments import Instruments
from tests.support.promtool import promtool

OBSERVABILITY = Path(__file__).resolve().parents[1] / "infra" / "observability"
PROMETHEUS = OBSERVABILITY / "prometheus"
DASHBOARD = OBSERVABILITY / "grafana" / "harbor-desk.json"
# Label matchers and grouping clauses name labels, not metrics; they are cut out first.
LABELS = re.compile(r"\{[^}]*\}|\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
# Identifiers with a colon are recording rules, not metrics.
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
PREFIXES = ("desk_", "gen_ai_", "http_server_")
SERIES_SUFFIXES = ("_bucket", "_count", "_sum")


@pytest.fixture(scope="module")
def checker() -> Path:
    try:
        return promtool()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(exc))


def run(checker: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(checker), *args], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
    )


def test_promtool_accepts_the_config_and_its_rules(checker: Path) -> None:
    checked = run(checker, "check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


def test_each_alert_fires_as_its_unit_test_says(checker: Path) -> None:
    tested = run(checker, "test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_would_catch_a_broken_threshold(checker: Path, tmp_path: Path) -> None:
    """The unit tests can fail: a shedding alert made ten times less sensitive does."""
    rules = (PROMETHEUS / "alerts.yml").read_text()
    assert "desk:shed:ratio5m > 0.01" in rules
    (tmp_path / "alerts.yml").write_text(rules.replace("shed:ratio5m > 0.01", "shed:ratio5m > 0.5"))
    (tmp_path / "alerts.test.yml").write_text((PROMETHEUS / "alerts.test.yml").read_text())
    broken = subprocess.run(
        [str(checker), "test", "rules", "alerts.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode != 0 and "DeskSheddingLoad" in broken.stdout + broken.stderr


def alert_names() -> set[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}


def test_every_alert_is_tested_firing_and_quiet() -> None:
    tests = yaml.safe_load((PROMETHEUS / "alerts.test.yml").read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    firing = {case["alertname"] for case in cases if case["exp_alerts"]}
    quiet = {case["alertname"] for case in cases if not case["exp_alerts"]}
    assert alert_names() == firing == quiet
    # The list: error rate, p95 latency, fallback surge, budget burn, breaker open.
    assert {
        "DeskTurnsFailing",
        "DeskSlowAnswers",
        "DeskFallbackSurge",
        "DeskBudgetBurn",
        "DeskCacheBreakerOpen",
    } <= firing


def exported_metrics() -> set[str]:
    """Every metric family the desk's instruments and HTTP instrumentation produce."""
    registry = CollectorRegistry()
    provider = MeterProvider(metric_readers=[PrometheusMetricReader(registry=registry)])
    metrics = Instruments(provider.get_meter("tests.observability"))
    for instrument in vars(metrics).values():
        kind = type(instrument).__name__
        if "Histogram" in kind:
            instrument.record(1.0)
        elif "Gauge" in kind:
            instrument.set(1.0)
        else:
            instrument.add(1)
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"ok": "yes"}

    FastAPIInstrumentor.instrument_app(app, meter_provider=provider)
    with TestClient(app) as client:
        assert client.get("/ping").status_code == 200
    text = generate_latest(registry).decode()
    provider.shutdown()
    return {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE")}


def dashboard_queries() -> list[str]:
    return [target["expr"] for panel in panels() for target in panel["targets"]]


def rule_queries() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def metric_names(expr: str) -> set[str]:
    found = IDENTIFIER.findall(LABELS.sub(" ", expr))
    return {name for name in found if name.startswith(PREFIXES) and ":" not in name}


def family(series: str) -> str:
    for suffix in SERIES_SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def test_queries_name_only_metrics_the_desk_exports() -> None:
    exported = exported_metrics()
    exprs = dashboard_queries() + rule_queries()
    named = {family(name) for expr in exprs for name in metric_names(expr)}
    assert named, "no metric found in the queries"
    assert named <= exported, f"not exported by the desk: {sorted(named - exported)}"


def panels() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return [panel for panel in found if panel["type"] != "row"]


def test_the_dashboard_shows_latency_errors_cache_cost_fallbacks_and_shed_load() -> None:
    text = " ".join(dashboard_queries())
    for needed in (
        "desk_turn_duration_seconds_bucket",  # latency
        'desk_outcome="failed"',  # errors
        "http_server_duration_milliseconds_count",  # HTTP errors
        'desk_cache_status="hit"',  # cache ratio
        "desk_model_cost_USD_total",  # cost
        "desk_gateway_fallbacks_total",  # fallbacks
        "desk_turns_rejected_total",  # shed load
    ):
        assert needed in text, needed


def test_the_dashboard_is_importable() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert [v["name"] for v in dashboard["templating"]["list"]] == ["datasource"]
    for panel in panels():
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
        assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
