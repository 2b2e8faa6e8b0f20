"""Prometheus metrics of the bus, defined once at import so many bus instances share them."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

PUBLISHED = Counter(
    "kakehashi_bus_published_total",
    "Messages published and confirmed by the broker.",
    ["routing_key"],
)
CONSUMED = Counter(
    "kakehashi_bus_consumed_total",
    "Deliveries settled by a consumer, by outcome.",
    ["queue", "outcome"],
)
HANDLER_DURATION = Histogram(
    "kakehashi_bus_handler_duration_seconds",
    "Time a handler took for one delivery (success or failure).",
    ["queue"],
)
DEAD_LETTERED = Counter(
    "kakehashi_bus_dead_lettered_total",
    "Messages moved to a dead-letter queue (poison, or out of attempts).",
    ["queue"],
)
PUBLISH_CONFIRM = Histogram(
    "kakehashi_bus_publish_confirm_seconds",
    "Time from publish to the broker's confirm.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

OK = "ok"
RETRIED = "retried"
DEAD_LETTERED_OUTCOME = "dead_lettered"
DUPLICATE = "duplicate"
# The copy could not be published; the original went back to its queue.
REQUEUED = "requeued"
