"""Subscriptions against a live webhook: handshake, delivery, retries, switches, lifecycle."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from kakehashi.graph_sim import GraphSimServer
from kakehashi.graph_sim.tls import ensure_tls_files
from tests.support.waiting import wait_until

from .conftest import Graph, Seeded, event_body


class Webhook:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.posts: list[list[dict[str, Any]]] = []  # the `value` of each accepted POST
        self.validations: list[str] = []
        self.fail_next = 0
        self.echo_validation = True
        # When set, the validation answer waits until this event is set (a slow endpoint).
        self.hold_validation: asyncio.Event | None = None
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            self.validations.append(token)
            if self.hold_validation is not None:
                await self.hold_validation.wait()
            if not self.echo_validation:
                return web.Response(status=500)
            return web.Response(text=token, content_type="text/plain")
        body = await request.json()
        if self.fail_next > 0:
            self.fail_next -= 1
            return web.Response(status=503)
        self.posts.append(body["value"])
        self.received.extend(body["value"])
        return web.Response(status=202)

    def changes(self) -> list[dict[str, Any]]:
        return [i for i in self.received if "changeType" in i]


@pytest.fixture
async def webhook() -> AsyncIterator[Webhook]:
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/notify", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    hook.url = f"http://127.0.0.1:{port}/notify"
    yield hook
    if hook.hold_validation is not None:
        hook.hold_validation.set()  # let a held answer finish so the runner can shut down
    await runner.cleanup()


def _expiry(minutes: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)).strftime(
        "%Y-%m-%dT%H:%M:%S.0000000Z"
    )


async def _subscribe(graph: Graph, user: str, hook: Webhook, **extra: Any) -> Any:
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": hook.url,
        "lifecycleNotificationUrl": hook.url,
        "resource": f"/users/{user}/events",
        "expirationDateTime": _expiry(60),
        "clientState": "secret-state",
        **extra,
    }
    return await graph.post("/subscriptions", body, headers={"Prefer": 'IdType="ImmutableId"'})


async def test_handshake_delivery_and_payload(
    graph: Graph, seeded: Seeded, webhook: Webhook
) -> None:
    sub = await _subscribe(graph, "alice@contoso.example", webhook)
    assert sub.status == 201, sub.body
    assert len(webhook.validations) == 2  # notificationUrl and lifecycleNotificationUrl
    assert webhook.validations[0].startswith("Validation: Testing client application reachability")
    ev = (await graph.post(f"/users/{seeded.alice}/events", event_body())).body
    await wait_until(lambda: webhook.changes(), message="created notification")
    item = webhook.changes()[0]
    assert item["subscriptionId"] == sub.body["id"]
    assert item["clientState"] == "secret-state"
    assert item["changeType"] == "created"
    assert item["tenantId"] == seeded.tenant_id
    assert item["resource"] == f"Users/{seeded.alice}/Events/{ev['id']}"
    assert item["resourceData"] == {
        "@odata.type": "#Microsoft.Graph.Event",
        "@odata.id": f"Users/{seeded.alice}/Events/{ev['id']}",
        "@odata.etag": ev["@odata.etag"],
        "id": ev["id"],
    }
    assert "subscriptionExpirationDateTime" in item
    await graph.delete(f"/users/{seeded.alice}/events/{ev['id']}")
    await wait_until(
        lambda: any(c["changeType"] == "deleted" for c in webhook.changes()),
        message="deleted notification",
    )
    # Other mailboxes are not reported.
    await graph.post(f"/users/{seeded.carol}/events", event_body())
    assert all(seeded.carol not in c["resource"] for c in webhook.changes())


async def test_subscription_rules(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    first = await _subscribe(graph, seeded.alice, webhook)
    dup = await _subscribe(graph, seeded.alice, webhook)
    assert dup.status == 409
    assert "already exists" in dup.body["error"]["message"]
    short = await _subscribe(graph, seeded.bob, webhook, expirationDateTime=_expiry(5))
    exp = dt.datetime.fromisoformat(short.body["expirationDateTime"].replace("Z", "+00:00"))
    assert exp >= dt.datetime.now(dt.UTC) + dt.timedelta(minutes=44)
    too_long = await _subscribe(graph, seeded.carol, webhook, expirationDateTime=_expiry(10081))
    assert too_long.status == 400
    ok_long = await _subscribe(graph, seeded.carol, webhook, expirationDateTime=_expiry(10070))
    assert ok_long.status == 201
    await graph.delete(f"/subscriptions/{ok_long.body['id']}")
    server.sim.set_switches(subscription_max_minutes=4230)
    assert (
        await _subscribe(graph, seeded.carol, webhook, expirationDateTime=_expiry(5000))
    ).status == 400
    renewed = await graph.patch(
        f"/subscriptions/{first.body['id']}", {"expirationDateTime": _expiry(120)}
    )
    assert renewed.status == 200
    assert renewed.body["expirationDateTime"] != first.body["expirationDateTime"]
    assert (await graph.post(f"/subscriptions/{first.body['id']}/reauthorize")).status == 204
    assert (await graph.delete(f"/subscriptions/{first.body['id']}")).status == 204
    assert (await graph.get(f"/subscriptions/{first.body['id']}")).status == 404
    webhook.echo_validation = False
    failed = await _subscribe(graph, seeded.alice, webhook)
    assert failed.status == 400
    assert failed.body["error"]["code"] == "ValidationError"


async def test_slow_validation_answer_fails_creation(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    # Graph gives the endpoint 10 s to echo the token; the switch shortens that for the test.
    assert server.sim.switches.validation_timeout_seconds == 10.0
    server.sim.set_switches(validation_timeout_seconds=0.3)
    webhook.hold_validation = asyncio.Event()
    started = time.monotonic()
    slow = await _subscribe(graph, seeded.alice, webhook)
    elapsed = time.monotonic() - started
    assert slow.status == 400
    assert slow.body["error"]["code"] == "ValidationError"
    assert 0.3 <= elapsed < 5  # gave up at the limit, not after Graph's full 10 s
    assert webhook.validations  # the endpoint was asked, it just answered too late
    attempt = [d for d in server.sim.notifier.deliveries if d["kind"] == "validation"][-1]
    assert attempt["ok"] is False
    assert "Timeout" in attempt["error"]
    assert (await graph.get("/subscriptions")).body["value"] == []
    # The same endpoint answering in time is accepted.
    webhook.hold_validation.set()
    webhook.hold_validation = None
    ok = await _subscribe(graph, seeded.alice, webhook)
    assert ok.status == 201, ok.body
    assert [s["id"] for s in (await graph.get("/subscriptions")).body["value"]] == [ok.body["id"]]


async def test_changes_within_one_batch_window_arrive_in_one_post(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    sub_a = (await _subscribe(graph, seeded.alice, webhook)).body
    sub_b = (await _subscribe(graph, seeded.bob, webhook)).body
    server.sim.set_switches(notification_delay_ms=0, notification_batch_window_ms=800)
    created = [
        (await graph.post(f"/users/{seeded.alice}/events", event_body("one"))).body["id"],
        (await graph.post(f"/users/{seeded.alice}/events", event_body("two"))).body["id"],
        (await graph.post(f"/users/{seeded.bob}/events", event_body("three"))).body["id"],
    ]
    await wait_until(lambda: len(webhook.changes()) == 3, message="three notifications")
    assert len(webhook.posts) == 1  # one POST, several entries in `value`
    batch = webhook.posts[0]
    assert [i["resourceData"]["id"] for i in batch] == created
    assert {i["changeType"] for i in batch} == {"created"}
    # One POST may carry items for several subscriptions.
    assert [i["subscriptionId"] for i in batch] == [sub_a["id"], sub_a["id"], sub_b["id"]]
    # A change after the window closed comes in a POST of its own.
    server.sim.set_switches(notification_batch_window_ms=10)
    await graph.post(f"/users/{seeded.alice}/events", event_body("later"))
    await wait_until(lambda: len(webhook.posts) == 2, message="second POST")
    assert len(webhook.posts[1]) == 1


async def test_retries_drop_duplicate_and_expiry(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    sub = (await _subscribe(graph, seeded.alice, webhook)).body
    webhook.fail_next = 2
    await graph.post(f"/users/{seeded.alice}/events", event_body("retried"))
    await wait_until(lambda: len(webhook.changes()) == 1, message="delivery after retries")
    attempts = [d for d in server.sim.notifier.deliveries if d["kind"] == "change"]
    assert [d["status"] for d in attempts] == [503, 503, 202]
    server.sim.set_switches(drop_notifications=1)
    await graph.post(f"/users/{seeded.alice}/events", event_body("dropped"))
    server.sim.set_switches(duplicate_notifications=1)
    await graph.post(f"/users/{seeded.alice}/events", event_body("twice"))
    await wait_until(lambda: len(webhook.changes()) == 3, message="duplicated notification")
    assert webhook.changes()[1] == webhook.changes()[2]
    server.sim.subscriptions[sub["id"]].expiration = dt.datetime.now(dt.UTC) - dt.timedelta(
        seconds=1
    )
    await graph.post(f"/users/{seeded.alice}/events", event_body("after expiry"))
    assert (await graph.get(f"/subscriptions/{sub['id']}")).status == 404
    assert len(webhook.changes()) == 3


async def test_a_delivery_given_up_on_is_reported_as_missed(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    sub = (await _subscribe(graph, seeded.alice, webhook)).body
    server.sim.set_switches(notification_max_attempts=2, notification_retry_base_ms=10)
    webhook.fail_next = 2
    await graph.post(f"/users/{seeded.alice}/events", event_body("never delivered"))
    missed = await wait_until(
        lambda: [i for i in webhook.received if i.get("lifecycleEvent") == "missed"],
        message="missed lifecycle event",
    )
    assert missed[0]["subscriptionId"] == sub["id"]
    assert webhook.changes() == []


async def test_lifecycle_notifications(
    graph: Graph, seeded: Seeded, webhook: Webhook, server: GraphSimServer
) -> None:
    sub = (await _subscribe(graph, seeded.alice, webhook)).body
    for event in ("reauthorizationRequired", "missed"):
        assert server.sim.fire_lifecycle(sub["id"], event)
    await wait_until(
        lambda: len([i for i in webhook.received if "lifecycleEvent" in i]) == 2,
        message="lifecycle events",
    )
    control = await graph.session.post(
        f"{server.base_url}/_sim/subscriptions/{sub['id']}/lifecycle",
        json={"lifecycleEvent": "subscriptionRemoved"},
    )
    assert control.status == 200
    await wait_until(
        lambda: any(i.get("lifecycleEvent") == "subscriptionRemoved" for i in webhook.received),
        message="removed",
    )
    item = next(i for i in webhook.received if i.get("lifecycleEvent") == "subscriptionRemoved")
    assert item["clientState"] == "secret-state"
    assert item["subscriptionId"] == sub["id"]
    assert (await graph.get(f"/subscriptions/{sub['id']}")).status == 404


async def test_https_webhook_is_verified(
    graph: Graph, seeded: Seeded, server: GraphSimServer, tmp_path: Path
) -> None:
    files = ensure_tls_files(tmp_path)
    hook = Webhook()
    app = web.Application()
    app.router.add_post("/notify", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context())
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        hook.url = f"https://localhost:{port}/notify"
        untrusted = await _subscribe(graph, seeded.alice, hook)
        assert untrusted.status == 400  # the webhook's CA is not trusted yet
        server.sim.notifier.ssl_context = files.client_context()
        sub = await _subscribe(graph, seeded.alice, hook)
        assert sub.status == 201
        await graph.post(f"/users/{seeded.alice}/events", event_body())
        await wait_until(lambda: hook.changes(), message="https delivery")
    finally:
        await runner.cleanup()
