"""Prometheus metrics of the renewal service."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

SECRET_EXPIRY = Gauge(
    "kakehashi_secret_expiry_seconds",
    "Seconds until the tenant's Graph client secret expires (negative: already expired)",
    ["tenant"],
)
OPERATIONS = Counter(
    "kakehashi_subscription_operations_total",
    "Graph subscription operations by kind (create, renew, reauthorize, delete, reuse) and outcome",
    ["operation", "outcome"],
)
RESYNCS = Counter(
    "kakehashi_resync_requests_total",
    "Resync requests published by the renewal service, by side and reason",
    ["side", "reason"],
)
LAST_TICK = Gauge(
    "kakehashi_renewal_last_tick_timestamp_seconds",
    "Unix time of the last renewal tick that ran to the end",
)
