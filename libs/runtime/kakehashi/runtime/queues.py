"""Queue specs built from the routing table, so services never spell bindings themselves.

Every service that declares a queue must declare it alike: RabbitMQ refuses a redeclaration
with other arguments, and the ingress and renewal declare the connectors' queues too. So the
retry tiers of a queue are set here, once, not by the service that consumes it.
"""

from __future__ import annotations

import dataclasses

from kakehashi.bus.api import QueueSpec
from kakehashi.contracts import routing
from kakehashi.contracts.routing import BINDINGS

# A long last tier: an auth failure waits minutes (an admin fixes the secret) rather than
# burning its attempts in seconds and landing in the dead-letter queue.
SLOW_RETRY = 300.0
_SLOW_TIERED = (
    routing.GRAPH_CONNECTOR_HINTS,
    routing.GRAPH_CONNECTOR_COMMANDS,
    routing.GRAPH_CONNECTOR_REQUESTS,
)
_RETRY_DELAYS: dict[str, tuple[float, ...]] = dict.fromkeys(
    _SLOW_TIERED, (1.0, 5.0, 30.0, SLOW_RETRY)
)


def queue_spec(name: str) -> QueueSpec:
    """The QueueSpec of a work queue named in kakehashi.contracts.routing (KeyError if not).

    Consumers may tune what is theirs alone (prefetch, max_attempts) with
    `dataclasses.replace(queue_spec(name), ...)`; never what is declared on the broker.
    """
    spec = QueueSpec(name=name, bindings=BINDINGS[name])
    delays = _RETRY_DELAYS.get(name)
    return dataclasses.replace(spec, retry_delays=delays) if delays else spec
