"""Simulator -> real ingress -> bus -> renewal: handshake, change hint, subscriptionRemoved."""

from __future__ import annotations

from kakehashi.contracts import GraphHint, Side, routing
from kakehashi.ingress import IngressConfig
from kakehashi.ingress.graph_webhook import GraphWebhook
from kakehashi.runtime import queue_spec
from tests.renewal.conftest import Env
from tests.support.waiting import wait_until


async def test_notifications_flow_through_the_ingress_to_renewal(env: Env):
    env.webhook.forward_to = GraphWebhook(env.ctx, IngressConfig()).handle
    await env.bus.declare([queue_spec(routing.GRAPH_CONNECTOR_HINTS)])
    await env.bus.consume(
        queue_spec(routing.RENEWAL_LIFECYCLE), env.service.lifecycle_handler(env.ctx)
    )
    await env.add_user("sato")

    await env.service.tick()
    [sub] = env.live()
    assert len(env.webhook.validations) == 2  # answered by the ingress itself

    # A change in Outlook: Graph notifies, the ingress checks the stored clientState.
    env.sim.person_create(
        "sato@contoso.example",
        {
            "subject": "定例会議",
            "start": {"dateTime": "2026-12-01T01:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-12-01T02:00:00", "timeZone": "UTC"},
        },
    )

    def hints() -> list[GraphHint]:
        queue = env.broker.queues[routing.GRAPH_CONNECTOR_HINTS]
        return [GraphHint.from_bytes(e.body) for e in queue.items]

    [hint] = await wait_until(hints, message="a GraphHint from the ingress")
    assert (hint.subscription_id, hint.user_id) == (sub.id, env.graph_users["sato"])
    assert hint.change_type == "created"

    # Graph removes the subscription: lifecycle notification -> ingress -> renewal.
    env.sim.fire_lifecycle(sub.id, "subscriptionRemoved")

    async def replaced() -> bool:
        live = env.live()
        stored = live and await env.store.subscriptions.get(live[0].id)
        return bool(live and live[0].id != sub.id and stored)

    await wait_until(replaced, message="a new subscription")
    await wait_until(
        lambda: any(r.reason == "subscriptionRemoved" for r in env.resyncs()),
        message="a Graph resync after subscriptionRemoved",
    )
    assert all(r.side == Side.GRAPH for r in env.resyncs())
