"""deploy/grafana/kakehashi.json: parses, panels are well formed, queries use known metrics."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.deploy.facts import ALLOWED_METRICS, DEPLOY, base_metric, metric_names


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    data = json.loads((DEPLOY / "grafana" / "kakehashi.json").read_text("utf-8"))
    assert isinstance(data, dict)
    return data


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out += panel.get("panels", [])
    return out


def _exprs(dashboard: dict[str, Any]) -> list[str]:
    return [t["expr"] for p in _panels(dashboard) for t in p.get("targets", [])]


def test_dashboard_identity(dashboard: dict[str, Any]) -> None:
    assert dashboard["uid"] == "kakehashi-overview"
    assert dashboard["title"] == "Kakehashi"
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"


def test_panels_are_well_formed(dashboard: dict[str, Any]) -> None:
    panels = _panels(dashboard)
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        assert panel["title"]
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs))


def test_queries_use_only_known_metrics(dashboard: dict[str, Any]) -> None:
    for expr in _exprs(dashboard):
        used = {base_metric(m) for m in metric_names(expr)}
        assert used, expr
        assert used <= ALLOWED_METRICS, f"unknown metrics {used - ALLOWED_METRICS} in {expr}"


@pytest.mark.parametrize(
    ("topic", "metric"),
    [
        ("throughput", "kakehashi_bus_published_total"),
        ("throughput", "kakehashi_bus_consumed_total"),
        ("latency", "kakehashi_sync_latency_seconds"),
        ("latency", "kakehashi_bus_handler_duration_seconds"),
        ("DLQ", "kakehashi_bus_dead_lettered_total"),
        ("throttling", "kakehashi_graph_throttled_total"),
        ("readiness", "kakehashi_service_ready"),
        ("secret expiry", "kakehashi_secret_expiry_seconds"),
    ],
)
def test_dashboard_covers(dashboard: dict[str, Any], topic: str, metric: str) -> None:
    used = {base_metric(m) for e in _exprs(dashboard) for m in metric_names(e)}
    assert metric in used, f"no {topic} panel ({metric})"
