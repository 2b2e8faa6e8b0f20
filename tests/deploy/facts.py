"""Facts the deployment artifacts must agree with (agreed with the code; one place to align)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"

# `kakehashi service <name>` and its default HTTP port (/healthz, /readyz, /metrics)
SERVICE_PORTS: dict[str, int] = {
    "ingress": 8080,
    "admin": 8090,
    "garoon_connector": 9101,
    "graph_connector": 9102,
    "translator": 9103,
    "renewal": 9104,
}
# the services scaled by a HorizontalPodAutoscaler
AUTOSCALED = {"garoon_connector", "graph_connector", "translator"}
# seconds a service drains in-flight work after SIGTERM
DRAIN_SECONDS = 20
SECRETS_DIR = "/run/secrets/kakehashi"

# Metric names dashboards and alert rules may use.
ALLOWED_METRICS: frozenset[str] = frozenset(
    {
        "kakehashi_service_ready",
        "kakehashi_bus_published_total",
        "kakehashi_bus_consumed_total",
        "kakehashi_bus_handler_duration_seconds",
        "kakehashi_bus_dead_lettered_total",
        "kakehashi_sync_latency_seconds",
        "kakehashi_graph_throttled_total",
        "kakehashi_secret_expiry_seconds",
        "kakehashi_mass_delete_blocked_total",
        # renewal service: {operation=create|renew|reauthorize|delete|reuse, outcome=ok|error|gone}
        "kakehashi_subscription_operations_total",
        "kakehashi_renewal_last_tick_timestamp_seconds",
        # ingress: {route, status}, {source, outcome=published|forged|invalid}, histogram {route}
        "kakehashi_ingress_requests_total",
        "kakehashi_ingress_items_total",
        "kakehashi_ingress_request_seconds",
        "kakehashi_bus_publish_confirm_seconds",
        # Prometheus' own scrape health
        "up",
    }
)
HISTOGRAMS = frozenset(
    {
        "kakehashi_bus_handler_duration_seconds",
        "kakehashi_sync_latency_seconds",
        "kakehashi_ingress_request_seconds",
        "kakehashi_bus_publish_confirm_seconds",
    }
)

_PROMQL_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "inf", "nan"}
)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels and keywords removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # string literals
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors, durations
    text = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text
    )  # grouping label lists
    names: set[str] = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        token = match.group(0)
        if text[match.end() :].lstrip().startswith("("):
            continue  # a function or an aggregation operator
        if token.lower() in _PROMQL_KEYWORDS:
            continue
        names.add(token)
    return names


def base_metric(name: str) -> str:
    """A histogram series name (_bucket, _sum, _count) mapped back to the histogram."""
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in HISTOGRAMS:
            return name[: -len(suffix)]
    return name


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


def load_yaml_docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc is not None]


def duration_seconds(value: str | int | float) -> float:
    """A compose duration ("30s", "1m30s", "1h") in seconds."""
    if isinstance(value, int | float):
        return float(value)
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 0.000001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ValueError(f"not a duration: {value!r}")
    return sum(float(n) * units[u] for n, u in parts)
