"""Prometheus metrics of the translator, defined once at import (replicas in one process share
them, as the bus metrics do)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DECISIONS = Counter(
    "kakehashi_sync_decisions_total",
    "Actions the sync engine decided (one per action of a decision), by rule.",
    ["rule"],
)
COMMANDS = Counter(
    "kakehashi_sync_commands_total",
    "Commands published to a connector (confirmed by the broker), by target side and op.",
    ["side", "op"],
)
CAS_CONFLICTS = Counter(
    "kakehashi_mapping_cas_conflicts_total",
    "Mapping writes lost to another writer (compare-and-set or duplicate insert): re-decided.",
)
LATENCY = Histogram(
    "kakehashi_sync_latency_seconds",
    "From a change being observed (message occurred_at) to its command being published.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0),
)
