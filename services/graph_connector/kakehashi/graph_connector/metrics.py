"""Prometheus metrics of the Graph connector, defined once at import (shared by instances)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

GRAPH_CALLS = Counter(
    "kakehashi_graph_calls_total",
    "HTTP calls sent to Microsoft Graph, by operation and answer status (0 = no answer).",
    ["op", "status"],
)
GRAPH_THROTTLED = Counter(
    "kakehashi_graph_throttled_total",
    "Graph answers with 429 (the client waits Retry-After and tries again).",
)
AUTH_FAILURES = Counter(
    "kakehashi_graph_auth_failures_total",
    "Token or Graph authentication failures, by AADSTS code ('' when none).",
    ["aadsts"],
)
HANDLED = Counter(
    "kakehashi_graph_connector_handled_total",
    "Messages handled by the Graph connector, by kind and outcome.",
    ["kind", "outcome"],
)
HANDLER_SECONDS = Histogram(
    "kakehashi_graph_connector_handler_seconds",
    "Time the Graph connector spent on one message (Graph calls included).",
    ["kind"],
)
OBSERVED = Counter(
    "kakehashi_graph_observed_total",
    "Observations published, by what caused them (hint, resync) and whether deleted.",
    ["source", "deleted"],
)
