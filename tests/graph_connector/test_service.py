"""The service shape the runtime host wires: three queues, slow last retry tier."""

from __future__ import annotations

from kakehashi.contracts import routing
from kakehashi.graph_connector import SERVICE
from kakehashi.graph_connector.clients import operation_of
from kakehashi.graph_connector.failures import AUTH_RETRY_DELAY
from kakehashi.runtime import queue_spec
from tests.graph_connector.support import harness


async def test_service_consumes_its_three_queues() -> None:
    async with harness() as h:
        service = SERVICE()
        specs = {spec.name: spec for spec, _ in service.consumers(h.ctx)}
        assert set(specs) == {
            routing.GRAPH_CONNECTOR_HINTS,
            routing.GRAPH_CONNECTOR_COMMANDS,
            routing.GRAPH_CONNECTOR_REQUESTS,
        }
        for name, spec in specs.items():
            assert spec.bindings == routing.BINDINGS[name]
            assert spec.retry_delays[-1] == AUTH_RETRY_DELAY
            # The ingress and renewal declare these queues too: RabbitMQ refuses a second
            # declaration with other arguments, so all must declare the very same tiers.
            assert spec.retry_delays == queue_spec(name).retry_delays
        await service.stop()


def test_graph_call_labels_carry_no_ids() -> None:
    base = "https://graph.example/v1.0/users/u-1"
    assert operation_of("GET", f"{base}/events/AAMk1?$expand=x") == "get_event"
    assert operation_of("POST", f"{base}/events") == "create_event"
    assert operation_of("GET", f"{base}/events") == "list_events"
    assert operation_of("GET", f"{base}/events/AAMk1/instances") == "instances"
    assert operation_of("GET", f"{base}/calendarView/delta?$deltatoken=x") == "delta"
    assert operation_of("POST", f"{base}/events/AAMk1/cancel") == "event_cancel"
