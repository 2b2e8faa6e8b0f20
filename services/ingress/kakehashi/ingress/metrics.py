"""Prometheus metrics of the ingress."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "kakehashi_ingress_requests_total",
    "Webhook requests answered, by route and HTTP status",
    ["route", "status"],
)
ITEMS = Counter(
    "kakehashi_ingress_items_total",
    "Webhook items (one Graph notification or one Garoon hint) by outcome: "
    "published, forged (unknown subscription, bad clientState or secret), invalid",
    ["source", "outcome"],
)
LATENCY = Histogram(
    "kakehashi_ingress_request_seconds",
    "Time to answer a webhook request (Graph wants well under 3 s)",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0),
)
