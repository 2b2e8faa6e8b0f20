"""Topology as data: which queues a QueueSpec needs and with which arguments.

Both buses read these declarations, so the in-memory bus behaves like the broker: retry tiers
are queues whose TTL dead-letters back into the work queue.
"""

from __future__ import annotations

from dataclasses import dataclass

from kakehashi.bus.api import QueueSpec

# Safety net for deliveries that never reach our own retry logic (e.g. a message that crashes
# the worker process each time): after this many broker deliveries it is dead-lettered, so it
# can neither loop forever nor be dropped.
DEFAULT_DELIVERY_LIMIT = 20

QUORUM = {"x-queue-type": "quorum"}
# Quorum dead-lettering is at-most-once by default; at-least-once keeps a message in the source
# queue until the target confirms it, and requires reject-publish overflow.
AT_LEAST_ONCE = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}


@dataclass(frozen=True)
class QueueDecl:
    name: str
    arguments: dict[str, object]
    bindings: tuple[str, ...] = ()


def work_queue(spec: QueueSpec) -> QueueDecl:
    arguments: dict[str, object] = {
        **QUORUM,
        **AT_LEAST_ONCE,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": spec.dead_letter_queue,
        "x-delivery-limit": DEFAULT_DELIVERY_LIMIT,
    }
    arguments.update(spec.arguments)
    return QueueDecl(spec.name, arguments, spec.bindings)


def dead_letter_queue(spec: QueueSpec) -> QueueDecl:
    return QueueDecl(spec.dead_letter_queue, dict(QUORUM))


def retry_queues(spec: QueueSpec) -> list[QueueDecl]:
    # Quorum queues support queue TTL with dead-lettering since RabbitMQ 3.10 (checked on
    # 3.10.8), so retry tiers are quorum queues too. One queue per tier: a queue-level TTL
    # expires at the head in order, which a per-message TTL in a shared queue would not.
    return [
        QueueDecl(
            spec.retry_queue(tier),
            {
                **QUORUM,
                **AT_LEAST_ONCE,
                "x-message-ttl": max(1, round(delay * 1000)),
                "x-dead-letter-exchange": "",
                "x-dead-letter-routing-key": spec.name,
            },
        )
        for tier, delay in enumerate(spec.retry_delays)
    ]


def declarations(spec: QueueSpec) -> list[QueueDecl]:
    """Every queue of a spec: dead-letter target, work queue, retry tiers (in that order)."""
    return [dead_letter_queue(spec), work_queue(spec), *retry_queues(spec)]


def retry_tier(spec: QueueSpec, attempt: int, requested_delay: float | None) -> int:
    """The tier for the next try after failed attempt `attempt` (1-based).

    A requested delay picks the smallest tier that waits at least that long (the last tier when
    none does); otherwise attempt N uses tier min(N-1, last).
    """
    last = len(spec.retry_delays) - 1
    if requested_delay is not None:
        for tier, delay in enumerate(spec.retry_delays):
            if delay >= requested_delay:
                return tier
        return last
    return min(attempt - 1, last)
