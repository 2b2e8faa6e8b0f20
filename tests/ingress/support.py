"""An ingress wired to a bus (in-memory unless told) and an in-memory store, with one tenant,
user and subscription."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from pydantic import SecretStr

from kakehashi.bus import MemoryBus, QueueSpec
from kakehashi.bus.api import Bus
from kakehashi.contracts import routing
from kakehashi.contracts.state import (
    GraphCredentials,
    LinkStatus,
    Subscription,
    Tenant,
    UserLink,
)
from kakehashi.ingress import IngressConfig, IngressService
from kakehashi.ingress.service import TARGET_QUEUES
from kakehashi.runtime import ServiceContext, Settings, queue_spec
from kakehashi.store import Store, generate_key, load_key, open_store
from tests.support.buses import BusKind, BusUnderTest, bus_of
from tests.support.context import service_context

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})
TENANT = "contoso"
HINT_SECRET = "hint-secret-0123456789"
SUB_ID = "7f3c1a2e-0000-4000-8000-000000000001"
CLIENT_STATE = "client-state-abcdef0123456789"
GRAPH_USER = "11111111-2222-3333-4444-555555555555"


@dataclass
class Seeded:
    tenant: Tenant
    link: UserLink
    subscription: Subscription


@dataclass
class Wiring:
    bus: Bus
    store: Store
    ctx: ServiceContext
    service: IngressService
    seeded: Seeded
    extra: dict[str, Any] = field(default_factory=dict)
    # The queues the ingress publishes to, by their service name (`wired` only).
    targets: dict[str, QueueSpec] = field(default_factory=dict)
    under: BusUnderTest | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.add_routes(self.service.routes(self.ctx))
        return app


async def seed(store: Store) -> Seeded:
    tenant = Tenant(
        id=TENANT,
        graph=GraphCredentials(tenant_id="t-guid", client_id="c-guid"),
        hint_secret=SecretStr(HINT_SECRET),
    )
    await store.tenants.put(tenant)
    link = UserLink(
        tenant_id=TENANT,
        garoon_login="sato",
        m365_address="sato@contoso.example",
        graph_user_id=GRAPH_USER,
        status=LinkStatus.LINKED,
    )
    await store.user_links.upsert(link)
    sub = Subscription(
        id=SUB_ID,
        tenant_id=TENANT,
        user_link_id=link.id,
        resource=f"/users/{GRAPH_USER}/events",
        client_state=SecretStr(CLIENT_STATE),
        expires_at=datetime.now(UTC) + timedelta(days=2),
    )
    await store.subscriptions.upsert(sub)
    return Seeded(tenant, link, sub)


async def wire(
    bus: Bus | None = None, *, config: IngressConfig | None = None, connect: bool = True
) -> Wiring:
    bus = bus or MemoryBus()
    store = await open_store(None, key=KEY)
    seeded = await seed(store)
    settings = Settings(service_name="ingress", http_host="127.0.0.1", http_port=0)
    session = aiohttp.ClientSession()
    ctx = service_context(settings, bus=bus, store=store, http=session)
    service = IngressService(config)
    if connect:
        await bus.connect()
        await service.start(ctx)
    return Wiring(bus, store, ctx, service, seeded, {"session": session})


async def unwire(wiring: Wiring) -> None:
    await wiring.extra["session"].close()
    await wiring.bus.close()
    await wiring.store.close()


@asynccontextmanager
async def wired(bus_kind: BusKind) -> AsyncIterator[Wiring]:
    """An ingress on a bus of `bus_kind`, with the queues it publishes to declared (on the
    broker under a private prefix, deleted afterwards) so that what it queued can be counted."""
    async with bus_of(bus_kind) as chosen:
        w = await wire(chosen.bus, connect=False)
        try:
            await chosen.bus.connect()
            w.targets = {name: chosen.own(queue_spec(name)) for name in TARGET_QUEUES}
            await chosen.bus.declare(list(w.targets.values()))
            w.under = chosen
            yield w
        finally:
            await unwire(w)


async def depths(w: Wiring) -> dict[str, int]:
    """Messages waiting in each queue the ingress publishes to, as the broker reports them."""
    assert w.under is not None
    return {name: await w.under.depth(spec) for name, spec in w.targets.items()}


def queued(bus: Bus, queue: str) -> list[Any]:
    """Messages waiting in a queue of the in-memory broker, decoded, without consuming them."""
    assert isinstance(bus, MemoryBus)
    found = bus.broker.queues.get(queue)
    if found is None:
        return []
    return [routing.decode(e.routing_key, e.body) for e in found.items]


def total_queued(bus: Bus) -> int:
    assert isinstance(bus, MemoryBus)
    return sum(len(q.items) for q in bus.broker.queues.values())


def change_item(
    *,
    subscription_id: str = SUB_ID,
    client_state: str | None = CLIENT_STATE,
    change_type: str = "updated",
    event_id: str = "AAMkAGI2ev1",
    etag: str = 'W/"DwAAABYAAAAA"',
) -> dict[str, Any]:
    resource = f"Users/{GRAPH_USER}/Events/{event_id}"
    item: dict[str, Any] = {
        "subscriptionId": subscription_id,
        "subscriptionExpirationDateTime": "2026-11-23T05:00:00.0000000+00:00",
        "changeType": change_type,
        "resource": resource,
        "resourceData": {
            "@odata.type": "#Microsoft.Graph.Event",
            "@odata.id": resource,
            "@odata.etag": etag,
            "id": event_id,
        },
        "tenantId": "t-guid",
    }
    if client_state is not None:
        item["clientState"] = client_state
    return item


def lifecycle_item(
    event: str, *, subscription_id: str = SUB_ID, client_state: str = CLIENT_STATE
) -> dict[str, Any]:
    return {
        "subscriptionId": subscription_id,
        "subscriptionExpirationDateTime": "2026-11-23T05:00:00.0000000+00:00",
        "tenantId": "t-guid",
        "clientState": client_state,
        "lifecycleEvent": event,
    }


def garoon_body(
    event_type: str = "schedule.event.edit.submit.success", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "garoon-js",
        "eventType": event_type,
        "eventId": "1234",
        "actor": {"id": "7", "code": "sato"},
        "invitees": [],
    }
    body.update(extra)
    return body


GAROON_HEADERS = {"X-Kakehashi-Tenant": TENANT, "X-Kakehashi-Secret": HINT_SECRET}
