"""Subscriptions kept alive against the Graph simulator: create, renew, recreate, delete."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from kakehashi.contracts import GraphLifecycle, Side
from kakehashi.contracts.state import LinkStatus
from kakehashi.renewal import RenewalConfig
from tests.renewal.conftest import TENANT, Env


async def lifecycle(env: Env, subscription_id: str, event: str) -> None:
    handler = env.service.lifecycle_handler(env.ctx)
    await handler(
        GraphLifecycle(tenant_id=TENANT, subscription_id=subscription_id, lifecycle_event=event)
    )


async def test_one_subscription_per_enabled_linked_user(env: Env):
    sato = await env.add_user("sato")
    suzuki = await env.add_user("suzuki")
    await env.add_user("off", enabled=False)
    await env.add_user("pending", status=LinkStatus.PENDING)

    await env.service.tick()

    live = env.live()
    assert sorted(s.mailbox for s in live) == sorted(
        [env.graph_users["sato"], env.graph_users["suzuki"]]
    )
    for sub in live:
        assert sub.resource == f"/users/{sub.mailbox}/events"
        assert sub.change_types == ["created", "updated", "deleted"]
        assert sub.notification_url == f"{env.webhook_url}/webhooks/graph"
        assert sub.lifecycle_url == sub.notification_url
        assert sub.immutable_ids  # Prefer: IdType="ImmutableId" on the create
        stored = await env.store.subscriptions.get(sub.id)
        assert stored is not None
        assert stored.client_state.get_secret_value() == sub.client_state
        assert abs(stored.expires_at - sub.expiration) < timedelta(seconds=1)
    # Each client state is fresh and random.
    assert len({s.client_state for s in live}) == 2
    # The handshake reached our live webhook: notificationUrl and lifecycleNotificationUrl.
    assert len(env.webhook.validations) == 4
    # A new subscription starts with a Graph resync, so nothing from before it is missed.
    created = [r for r in env.resyncs() if r.reason == "subscription created"]
    assert sorted(r.user_link_id for r in created) == sorted([sato.id, suzuki.id])
    assert all(r.side == Side.GRAPH for r in created)

    # A second tick changes nothing.
    creates = env.requests("POST", "/v1.0/subscriptions")
    await env.service.tick()
    assert env.requests("POST", "/v1.0/subscriptions") == creates
    assert len(env.live()) == 2


async def test_renews_when_less_than_half_the_lifetime_is_left(env: Env):
    await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    first_expiry = sub.expiration

    env.clock.advance(timedelta(hours=12))  # 2.4 of 2.9 days left: nothing to do
    await env.service.tick()
    assert env.requests("PATCH", "/v1.0/subscriptions") == 0

    env.clock.advance(timedelta(days=1, hours=12))  # under half left: renew
    await env.service.tick()
    assert env.requests("PATCH", "/v1.0/subscriptions") == 1
    [renewed] = env.live()
    assert renewed.id == sub.id
    assert renewed.expiration > first_expiry + timedelta(days=1)
    stored = await env.store.subscriptions.get(sub.id)
    assert stored is not None
    assert abs(stored.expires_at - renewed.expiration) < timedelta(seconds=1)


async def test_subscription_removed_is_recreated_then_resynced(env: Env):
    link = await env.add_user("sato")
    await env.service.tick()
    [old] = env.live()
    env.broker.queues["graph_connector.requests"].items.clear()

    env.sim.fire_lifecycle(old.id, "subscriptionRemoved")  # Graph drops it
    await lifecycle(env, old.id, "subscriptionRemoved")

    [new] = env.live()
    assert new.id != old.id
    assert await env.store.subscriptions.get(old.id) is None
    assert await env.store.subscriptions.get(new.id) is not None
    [resync] = env.resyncs()
    assert (resync.side, resync.user_link_id) == (Side.GRAPH, link.id)
    assert resync.reason == "subscriptionRemoved"

    # Redelivery of the same lifecycle message changes nothing.
    await lifecycle(env, old.id, "subscriptionRemoved")
    assert [s.id for s in env.live()] == [new.id]
    assert len(env.resyncs()) == 1


async def test_missed_requests_a_delta_resync(env: Env):
    link = await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    env.broker.queues["graph_connector.requests"].items.clear()

    await lifecycle(env, sub.id, "missed")
    [resync] = env.resyncs()
    assert (resync.side, resync.user_link_id, resync.reason) == (Side.GRAPH, link.id, "missed")
    assert [s.id for s in env.live()] == [sub.id]  # the subscription itself is fine


async def test_reauthorization_required_reauthorizes(env: Env):
    await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    await lifecycle(env, sub.id, "reauthorizationRequired")
    assert env.requests("POST", "/reauthorize") == 1
    assert [s.id for s in env.live()] == [sub.id]


async def test_renewal_of_a_vanished_subscription_recreates_it(env: Env):
    link = await env.add_user("sato")
    await env.service.tick()
    [old] = env.live()
    del env.sim.subscriptions[old.id]  # gone without a lifecycle notification
    env.broker.queues["graph_connector.requests"].items.clear()

    env.clock.advance(timedelta(days=2))
    await env.service.tick()

    [new] = env.live()
    assert new.id != old.id
    assert [r.user_link_id for r in env.resyncs() if r.side == Side.GRAPH][-1] == link.id


async def test_disabled_user_loses_the_subscription(env: Env):
    link = await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()

    await env.store.user_links.upsert(link.model_copy(update={"enabled": False}))
    await env.service.tick()

    assert env.live() == []
    assert env.requests("DELETE", "/v1.0/subscriptions") == 1
    assert await env.store.subscriptions.get(sub.id) is None


async def test_conflict_with_an_unknown_subscription_deletes_and_recreates(env: Env):
    await env.add_user("sato")
    # Someone (a lost first attempt, say) already subscribed with a clientState we never saw.
    client = env.graph_client()
    stray = await client.create_subscription(
        resource=f"/users/{env.graph_users['sato']}/events",
        notification_url=f"{env.webhook_url}/webhooks/graph",
        expiration=env.clock() + timedelta(days=1),
        client_state="unknown-to-us",
    )

    await env.service.tick()

    [live] = env.live()
    assert live.id != stray["id"]
    stored = await env.store.subscriptions.get(live.id)
    assert stored is not None
    assert stored.client_state == SecretStr(live.client_state)


async def test_deleted_user_link_leaves_no_orphan(env: Env):
    link = await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    await env.store.db.collection("user_links").delete_one({"_id": link.id})

    await env.service.tick()

    assert env.live() == []
    assert await env.store.subscriptions.get(sub.id) is None


async def test_conflict_with_our_own_stored_subscription_reuses_it(env: Env):
    # E.g. a second worker stored it between our look-up and our create.
    link = await env.add_user("sato")
    await env.service.tick()
    [sub] = env.live()
    keeper = env.service.bind(env.ctx)
    tenant = await env.store.tenants.get(TENANT)
    assert tenant is not None

    reused = await keeper.create(tenant, link, env.service.client_for(tenant), env.clock())

    assert reused is not None
    assert reused.id == sub.id
    assert [s.id for s in env.live()] == [sub.id]


def test_interval_and_lifetime_come_from_the_environment():
    config = RenewalConfig.from_env(
        {
            "KAKEHASHI_RENEWAL_INTERVAL_SECONDS": "15",
            "KAKEHASHI_SUBSCRIPTION_LIFETIME_MINUTES": "10080",
        }
    )
    assert config.interval == 15.0
    assert config.lifetime == timedelta(minutes=10080)
    assert RenewalConfig.from_env({}).lifetime == timedelta(minutes=4230)
