"""Queue specs built from the routing table, so services never spell bindings themselves."""

from __future__ import annotations

from kakehashi.bus.api import QueueSpec
from kakehashi.contracts.routing import BINDINGS


def queue_spec(name: str) -> QueueSpec:
    """The QueueSpec of a work queue named in kakehashi.contracts.routing (KeyError if not).

    Tune prefetch or retries per service with `dataclasses.replace(queue_spec(name), ...)`.
    """
    return QueueSpec(name=name, bindings=BINDINGS[name])
