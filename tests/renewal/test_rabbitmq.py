"""Over the real RabbitMQ broker: Graph's `missed` lifecycle event -> ingress -> renewal ->
resync request -> Graph connector delta -> the change nobody was notified of is observed.

Private exchange and queue prefix per test; every queue is deleted afterwards.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from kakehashi.bus import QueueSpec
from kakehashi.contracts import ObservedGraph, ResyncRequest, routing
from kakehashi.graph_connector.service import GraphConnectorService
from kakehashi.graph_sim import GraphSimServer
from kakehashi.ingress import IngressConfig
from kakehashi.ingress.graph_webhook import GraphWebhook
from kakehashi.runtime import Settings, queue_spec
from tests.renewal.conftest import Env, Webhook, make_env
from tests.support.buses import BusUnderTest, bus_of
from tests.support.collect import collect
from tests.support.context import service_context
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rabbitmq

SATO = "sato@contoso.example"


def event_body(subject: str) -> dict[str, object]:
    start = datetime.now(UTC).replace(microsecond=0, tzinfo=None) + timedelta(days=7)
    return {
        "subject": subject,
        "start": {"dateTime": start.isoformat(), "timeZone": "UTC"},
        "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "UTC"},
    }


@pytest.fixture
async def rabbit_env(sim_server: GraphSimServer) -> AsyncIterator[Env]:
    async with bus_of("rabbitmq") as under:
        webhook = Webhook()
        async for made in make_env(sim_server, webhook.app(), webhook, under=under):
            yield made


async def test_a_missed_lifecycle_event_resyncs_and_recovers_the_change(rabbit_env: Env):
    env = rabbit_env
    under = env.under
    assert isinstance(under, BusUnderTest)
    # The ingress answers Graph's webhook calls and publishes to the broker.
    env.webhook.forward_to = GraphWebhook(env.ctx, IngressConfig()).handle
    hints = under.own(queue_spec(routing.GRAPH_CONNECTOR_HINTS))
    await env.bus.declare([hints])
    # Renewal consumes lifecycle messages, as its service does.
    for spec, handler in env.service.consumers(env.ctx):
        await env.bus.consume(under.own(spec), handler)
    observed: list[ObservedGraph] = []
    requests: list[ResyncRequest] = []
    await collect(
        env.bus, under.specs, f"{under.prefix}test.observed", ("observed.graph",), observed
    )
    spy = QueueSpec(f"{under.prefix}test.requests", ("request.resync.graph",))
    await collect(env.bus, under.specs, spy.name, spy.bindings, requests)
    link = await env.add_user("sato")
    env.sim.person_create(SATO, event_body("Before the subscription"))
    await env.service.tick()
    [sub] = env.live()
    # The resyncs the tick asked for (a new subscription's, the window roll's) wait in the
    # broker's queue: no connector consumes it yet.
    [requests_spec] = [s for s in under.specs if s.name.endswith(routing.GRAPH_CONNECTOR_REQUESTS)]
    owed = await under.depth(requests_spec)
    assert owed >= 1

    # The Graph connector (its production consumers) answers them.
    graph = GraphConnectorService()
    settings = Settings(
        service_name="graph_connector",
        http_host="127.0.0.1",
        http_port=0,
        ca_file=str(env.server.ca_file),
    )
    connector_ctx = service_context(settings, bus=env.bus, store=env.store, http=env.ctx.http)

    def deltas() -> list[dict[str, str]]:
        return [r for r in env.sim.request_log if r["path"].endswith("/calendarView/delta")]

    try:
        for spec, handler in graph.consumers(connector_ctx):
            if spec.name == routing.GRAPH_CONNECTOR_REQUESTS:
                await env.bus.consume(under.own(spec), handler)
        # The mailbox as it was, read by those resyncs; each has had its answer from Graph.
        await wait_until(
            lambda: any(o.event and o.event.title == "Before the subscription" for o in observed),
            message="the first resync's observation",
        )
        await wait_until(lambda: len(deltas()) == owed, message="every owed resync read")

        # A change whose notification Graph loses; Graph then says it missed some.
        env.sim.set_switches(drop_notifications=1)
        made = env.sim.person_create(SATO, event_body("Made while notifications were lost"))
        assert env.sim.fire_lifecycle(sub.id, "missed")

        [missed] = await wait_until(
            lambda: [r for r in requests if r.reason == "missed"],
            message="a Graph resync asked for after `missed`",
        )
        assert (missed.user_link_id, missed.side.value) == (link.id, "graph")
        [recovered] = await wait_until(
            lambda: [o for o in observed if o.causation_id == missed.message_id],
            message="the lost change, observed by the resync",
        )
        assert recovered.source_id == made["id"]
        assert recovered.event is not None
        assert recovered.event.title == "Made while notifications were lost"
        # An incremental round (the delta token of the first), not a re-read of everything.
        assert "$deltatoken" in deltas()[-1]["query"]
        # No notification carried it: the broker's hint queue stayed empty.
        assert await under.depth(hints) == 0
        assert [s.id for s in env.live()] == [sub.id]  # the subscription itself is fine
    finally:
        await graph.stop()
