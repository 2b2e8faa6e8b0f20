"""Prometheus metrics of the Garoon connector.

Registered through `_get_or_create` because `kakehashi up` imports several services into one
process and another service may define a metric of the same name (e.g. the mass-delete alert).
"""

from __future__ import annotations

from typing import Any, TypeVar

from prometheus_client import REGISTRY, Counter, Histogram

_M = TypeVar("_M", Counter, Histogram)


def _get_or_create(kind: type[_M], name: str, doc: str, labels: list[str], **kw: Any) -> _M:
    existing = REGISTRY._names_to_collectors.get(name)
    if existing is None:
        base = name.removesuffix("_total")
        existing = REGISTRY._names_to_collectors.get(base)
    if isinstance(existing, kind):
        return existing
    return kind(name, doc, labels, **kw)


GAROON_CALLS = _get_or_create(
    Counter,
    "kakehashi_garoon_calls_total",
    "Garoon REST/SOAP calls made by the connector, by operation and outcome.",
    ["op", "outcome"],
)
SWEEP_DURATION = _get_or_create(
    Histogram,
    "kakehashi_garoon_sweep_duration_seconds",
    "Time one reconciliation sweep of one user took.",
    [],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0),
)
EVENTS_OBSERVED = _get_or_create(
    Counter,
    "kakehashi_garoon_events_observed_total",
    "Observations published by the Garoon connector, by what triggered them.",
    ["source", "kind"],
)
MASS_DELETE_BLOCKED = _get_or_create(
    Counter,
    "kakehashi_mass_delete_blocked_total",
    "Sweeps whose deletions were withheld by the mass-delete guard.",
    ["side"],
)
COMMANDS = _get_or_create(
    Counter,
    "kakehashi_garoon_commands_total",
    "Commands executed against Garoon, by operation and outcome.",
    ["op", "outcome"],
)
