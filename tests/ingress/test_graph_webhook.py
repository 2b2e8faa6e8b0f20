"""POST /webhooks/graph: handshake, authentic and forged notifications, limits, bus failures."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from kakehashi.bus import MemoryBus, PublishFailed
from kakehashi.contracts import GraphHint, GraphLifecycle, Message, routing
from kakehashi.ingress import IngressConfig
from kakehashi.store import StoreUnavailable
from tests.ingress.support import (
    GRAPH_USER,
    SUB_ID,
    TENANT,
    change_item,
    depths,
    lifecycle_item,
    queued,
    total_queued,
    unwire,
    wire,
)
from tests.support.buses import on_both_buses

URL = "/webhooks/graph"


async def post(
    client: TestClient[Any, Any], items: list[dict[str, Any]], **kw: Any
) -> ClientResponse:
    return await client.post(URL, json={"value": items}, **kw)


# ------------------------------------------------------------------ handshake
async def test_validation_handshake_echoes_the_decoded_token_as_text(client):
    token = "Validation: Testing client application reachability for subscription Request-Id: 1a2b"
    started = time.monotonic()
    resp = await client.post(
        f"{URL}?validationToken={quote(token)}",
        data=b"",
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    assert resp.status == 200
    assert resp.content_type == "text/plain"
    assert await resp.text() == token
    assert time.monotonic() - started < 1.0


async def test_handshake_needs_no_bus(aiohttp_client):
    # Graph validates while the subscription is being created; the broker may be down then.
    w = await wire(connect=False)
    try:
        client = await aiohttp_client(w.app())
        resp = await client.post(f"{URL}?validationToken=abc")
        assert (resp.status, await resp.text()) == (200, "abc")
    finally:
        await unwire(w)


async def test_handshake_token_is_escaped_and_bounded(client):
    resp = await client.post(f"{URL}?validationToken={quote('<b>x</b>')}")
    assert await resp.text() == "&lt;b&gt;x&lt;/b&gt;"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    resp = await client.post(f"{URL}?validationToken={'a' * 5000}")
    assert resp.status == 400


# ------------------------------------------------------------------ authentic notifications
async def test_authentic_notification_becomes_a_graph_hint(client, wiring):
    resp = await post(client, [change_item(event_id="ev-1", etag='W/"ck1"')])
    assert resp.status == 202
    assert await resp.json() == {"accepted": 1, "rejected": 0}
    [hint] = queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS)
    assert isinstance(hint, GraphHint)
    assert hint.tenant_id == TENANT
    assert hint.subscription_id == SUB_ID
    assert hint.user_id == GRAPH_USER
    assert (hint.event_id, hint.change_type, hint.etag) == ("ev-1", "updated", 'W/"ck1"')


@pytest.mark.parametrize("change", ["created", "updated", "deleted"])
async def test_every_change_type_is_forwarded(client, wiring, change):
    assert (await post(client, [change_item(change_type=change)])).status == 202
    [hint] = queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS)
    assert hint.change_type == change


async def test_duplicate_delivery_collapses_to_one_message_id(client, wiring):
    item = change_item(event_id="ev-dup", etag='W/"ck9"')
    assert (await post(client, [item, item])).status == 202
    assert (await post(client, [item])).status == 202  # Graph's retry of the same batch
    hints = queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS)
    assert len(hints) == 3
    assert len({h.message_id for h in hints}) == 1
    # A new version of the event is a new hint.
    assert (await post(client, [change_item(event_id="ev-dup", etag='W/"ck10"')])).status == 202
    assert len({h.message_id for h in queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS)}) == 2


@pytest.mark.parametrize("event", ["reauthorizationRequired", "subscriptionRemoved", "missed"])
async def test_lifecycle_notification_goes_to_renewal(client, wiring, event):
    resp = await post(client, [lifecycle_item(event)])
    assert resp.status == 202
    [message] = queued(wiring.bus, routing.RENEWAL_LIFECYCLE)
    assert isinstance(message, GraphLifecycle)
    assert (message.subscription_id, message.lifecycle_event) == (SUB_ID, event)
    assert message.tenant_id == TENANT
    assert queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS) == []


async def test_mixed_batch_publishes_only_the_authentic_items(client, wiring, caplog):
    items = [
        change_item(event_id="good"),
        change_item(event_id="forged", client_state="guess"),
        change_item(event_id="stranger", subscription_id="unknown-sub"),
        lifecycle_item("missed"),
    ]
    resp = await post(client, items)
    assert resp.status == 202
    assert await resp.json() == {"accepted": 2, "rejected": 2}
    assert [h.event_id for h in queued(wiring.bus, routing.GRAPH_CONNECTOR_HINTS)] == ["good"]
    assert len(queued(wiring.bus, routing.RENEWAL_LIFECYCLE)) == 1
    assert "guess" not in caplog.text  # a rejected clientState is never logged


async def test_authentic_but_unusable_items_are_accepted_and_ignored(client, wiring):
    item = change_item()
    del item["resourceData"]
    resp = await post(client, [item, change_item(change_type="wobbled"), lifecycle_item("odd")])
    assert resp.status == 202
    assert await resp.json() == {"accepted": 0, "rejected": 3}
    assert total_queued(wiring.bus) == 0


# ------------------------------------------------------------------ forged notifications
@pytest.mark.parametrize(
    "item",
    [
        change_item(client_state="wrong-state"),
        change_item(client_state=None),
        change_item(client_state="client-state-abcdef0123456789X"),
        change_item(subscription_id="00000000-0000-0000-0000-000000000000"),
        lifecycle_item("subscriptionRemoved", client_state="wrong"),
    ],
    ids=["wrong-state", "no-state", "longer-state", "unknown-sub", "forged-lifecycle"],
)
@on_both_buses
async def test_forged_notifications_are_refused_and_nothing_is_queued(bus_client, bus_wiring, item):
    resp = await post(bus_client, [item, item])
    assert resp.status == 403
    body = await resp.json()
    assert body["error"] == "forbidden"
    nothing = dict.fromkeys(bus_wiring.targets, 0)
    assert await depths(bus_wiring) == nothing
    # The same queues do receive an authentic notification: the count above is no blind spot.
    assert (await post(bus_client, [change_item(event_id="authentic")])).status == 202
    assert await depths(bus_wiring) == {**nothing, routing.GRAPH_CONNECTOR_HINTS: 1}


# ------------------------------------------------------------------ malformed and oversized
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (b"[]", "(body)"),
        (b"{}", "value"),
        (b'{"value": []}', "value"),
        (b'{"value": "x"}', "value"),
        (b'{"value": [{"changeType": "updated"}]}', "value.0.subscriptionId"),
        (b'{"value": [{"subscriptionId": 5}]}', "value.0.subscriptionId"),
        (b'{"value": [{"subscriptionId": "s", "resourceData": []}]}', "value.0.resourceData"),
    ],
)
async def test_malformed_bodies_get_400_naming_the_field(client, wiring, body, field):
    resp = await client.post(URL, data=body, headers={"Content-Type": "application/json"})
    assert resp.status == 400
    answer = await resp.json()
    if field is None:
        assert answer["error"] == "invalid_json"
    else:
        assert field in [f["field"] for f in answer["fields"]], answer
    assert total_queued(wiring.bus) == 0


async def test_oversized_and_wrong_content_type(client, wiring):
    big = json.dumps({"value": [change_item()], "pad": "x" * (1024 * 1024)}).encode()
    resp = await client.post(URL, data=big, headers={"Content-Type": "application/json"})
    assert resp.status == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 65536

    resp = await client.post(URL, data=chunks(), headers={"Content-Type": "application/json"})
    assert resp.status == 413
    resp = await client.post(URL, data=b"value", headers={"Content-Type": "text/plain"})
    assert resp.status == 415
    assert total_queued(wiring.bus) == 0


# ------------------------------------------------------------ failures: 503, nothing half-done
class RefusingBus(MemoryBus):
    async def publish(self, message: Message, *, routing_key: str | None = None) -> None:
        raise PublishFailed("nack")


class SilentBus(MemoryBus):
    """Never confirms: the publish hangs like a broker under flow control."""

    async def publish(self, message: Message, *, routing_key: str | None = None) -> None:
        await asyncio.Event().wait()


@pytest.mark.parametrize("bus_type", [RefusingBus, SilentBus])
async def test_bus_failure_answers_503_so_graph_retries(aiohttp_client, bus_type):
    w = await wire(bus_type(), config=IngressConfig(deadline=0.3))
    try:
        client = await aiohttp_client(w.app())
        started = time.monotonic()
        resp = await post(client, [change_item()])
        assert resp.status == 503
        assert time.monotonic() - started < 2.0
        assert total_queued(w.bus) == 0
    finally:
        await unwire(w)


async def test_disconnected_bus_answers_503(aiohttp_client):
    w = await wire(connect=False)
    try:
        client = await aiohttp_client(w.app())
        assert (await post(client, [change_item()])).status == 503
    finally:
        await unwire(w)


async def test_store_outage_answers_503(client, wiring, monkeypatch):
    async def down(subscription_id: str):
        raise StoreUnavailable("mongo down")

    monkeypatch.setattr(wiring.store.subscriptions, "get", down)
    assert (await post(client, [change_item()])).status == 503
    assert total_queued(wiring.bus) == 0
