"""The single place that names the topology: exchange, routing keys, work queues, bindings."""

from __future__ import annotations

from kakehashi.contracts.envelope import Message
from kakehashi.contracts.messages import (
    CommandResult,
    GaroonHint,
    GraphHint,
    GraphLifecycle,
    ObservedGaroon,
    ObservedGraph,
    ResyncRequest,
    SyncCommand,
    TeamsMeetingRequest,
)

EXCHANGE = "kakehashi"

# queue name -> routing-key patterns bound to it (topic exchange)
GRAPH_CONNECTOR_HINTS = "graph_connector.hints"
GRAPH_CONNECTOR_COMMANDS = "graph_connector.commands"
GRAPH_CONNECTOR_REQUESTS = "graph_connector.requests"
GAROON_CONNECTOR_HINTS = "garoon_connector.hints"
GAROON_CONNECTOR_COMMANDS = "garoon_connector.commands"
GAROON_CONNECTOR_REQUESTS = "garoon_connector.requests"
TRANSLATOR_OBSERVED = "translator.observed"
TRANSLATOR_RESULTS = "translator.results"
RENEWAL_LIFECYCLE = "renewal.lifecycle"

BINDINGS: dict[str, tuple[str, ...]] = {
    GRAPH_CONNECTOR_HINTS: ("hint.graph",),
    GRAPH_CONNECTOR_COMMANDS: ("command.graph",),
    GRAPH_CONNECTOR_REQUESTS: ("request.resync.graph",),
    GAROON_CONNECTOR_HINTS: ("hint.garoon",),
    GAROON_CONNECTOR_COMMANDS: ("command.garoon",),
    GAROON_CONNECTOR_REQUESTS: ("request.resync.garoon",),
    TRANSLATOR_OBSERVED: ("observed.garoon", "observed.graph", "request.teams"),
    TRANSLATOR_RESULTS: ("result.garoon", "result.graph"),
    RENEWAL_LIFECYCLE: ("lifecycle.graph",),
}

_BY_PREFIX: tuple[tuple[str, type[Message]], ...] = (
    ("hint.graph", GraphHint),
    ("hint.garoon", GaroonHint),
    ("lifecycle.graph", GraphLifecycle),
    ("observed.garoon", ObservedGaroon),
    ("observed.graph", ObservedGraph),
    ("command.", SyncCommand),
    ("result.", CommandResult),
    ("request.resync.", ResyncRequest),
    ("request.teams", TeamsMeetingRequest),
)


def message_type_for(routing_key: str) -> type[Message]:
    """The message class carried under a routing key (raises KeyError when unknown)."""
    for prefix, model in _BY_PREFIX:
        if routing_key == prefix or routing_key.startswith(prefix):
            return model
    raise KeyError(routing_key)


def decode(routing_key: str, body: bytes) -> Message:
    return message_type_for(routing_key).from_bytes(body)
