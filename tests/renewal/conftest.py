"""The renewal service against the Graph simulator (HTTPS), a bus (in-memory unless told), an
in-memory store, and a live in-test webhook that answers Graph's validation handshake."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from pydantic import SecretStr

from kakehashi.bus import MemoryBroker, MemoryBus
from kakehashi.bus.api import Bus
from kakehashi.contracts import ResyncRequest, routing
from kakehashi.contracts.state import GraphCredentials, LinkStatus, Tenant, UserLink
from kakehashi.graph_client import GraphClient, MsalTokenProvider
from kakehashi.graph_sim import GraphSimServer
from kakehashi.renewal import RenewalConfig, RenewalService
from kakehashi.runtime import ServiceContext, Settings, queue_spec
from kakehashi.store import Store, generate_key, load_key, open_store
from tests.support.buses import BusUnderTest
from tests.support.context import service_context

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})
TENANT = "contoso"
SECRET = "sim-client-secret-value"


class Clock:
    """The service's clock; tests move it forward instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class Webhook:
    """Answers the validation handshake like the ingress and records every POST."""

    def __init__(self) -> None:
        self.validations: list[str] = []
        self.notifications: list[dict[str, Any]] = []
        # When set, requests go on to this handler (e.g. the real ingress) after being recorded.
        self.forward_to: Callable[[web.Request], Awaitable[web.StreamResponse]] | None = None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("validationToken")
        if self.forward_to is not None:
            if token is not None:
                self.validations.append(token)
            return await self.forward_to(request)
        if token is not None:
            self.validations.append(token)
            return web.Response(text=token, content_type="text/plain")
        self.notifications.append(await request.json())
        return web.Response(status=202)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/webhooks/graph", self.handle)
        return app


@dataclass
class Env:
    server: GraphSimServer
    ms_tenant: str
    client_id: str
    store: Store
    bus: Bus
    clock: Clock
    service: RenewalService
    ctx: ServiceContext
    webhook: Webhook
    webhook_url: str
    links: dict[str, UserLink] = field(default_factory=dict)
    graph_users: dict[str, str] = field(default_factory=dict)  # login -> Graph user id
    under: BusUnderTest | None = None  # the bus with its queue prefix (names, clean-up)

    @property
    def sim(self) -> Any:
        return self.server.sim

    @property
    def broker(self) -> MemoryBroker:
        """The in-memory broker (the default bus), to look into its queues."""
        assert isinstance(self.bus, MemoryBus)
        return self.bus.broker

    async def add_user(self, login: str, **link: Any) -> UserLink:
        user = self.sim.add_user(self.ms_tenant, f"{login}@contoso.example")
        self.graph_users[login] = user.id
        made = UserLink(
            tenant_id=TENANT,
            garoon_login=login,
            m365_address=f"{login}@contoso.example",
            graph_user_id=user.id,
            status=link.pop("status", LinkStatus.LINKED),
            **link,
        )
        await self.store.user_links.upsert(made)
        self.links[login] = made
        return made

    def live(self) -> list[Any]:
        """Subscriptions the simulator holds right now."""
        return list(self.sim.live_subscriptions())

    def requests(self, method: str, endpoint_part: str) -> int:
        return sum(
            1
            for r in self.sim.request_log
            if r["method"] == method and endpoint_part in r["endpoint"]
        )

    def graph_client(self, **kw: Any) -> GraphClient:
        """A client of the simulator as the app (for setting up state, or tuned retries)."""
        provider = MsalTokenProvider(
            self.ms_tenant,
            self.client_id,
            SECRET,
            authority_host=self.server.base_url,
            ca_file=str(self.server.ca_file),
        )
        return GraphClient(self.ctx.http, self.server.base_url, provider, **kw)

    def resyncs(self, queue: str = routing.GRAPH_CONNECTOR_REQUESTS) -> list[ResyncRequest]:
        found = self.broker.queues.get(queue)
        items = found.items if found else ()
        return [ResyncRequest.from_bytes(e.body) for e in items]


def tenant_record(
    ms_tenant: str, client_id: str, base_url: str, *, secret_expires: datetime | None = None
) -> Tenant:
    return Tenant(
        id=TENANT,
        graph=GraphCredentials(
            tenant_id=ms_tenant,
            client_id=client_id,
            client_secret=SecretStr(SECRET),
            secret_expires_at=secret_expires,
            authority_host=base_url,
            graph_base_url=base_url,
        ),
    )


async def make_env(
    server: GraphSimServer,
    webhook_app: web.Application,
    webhook: Webhook,
    *,
    under: BusUnderTest | None = None,
    **config: Any,
) -> AsyncIterator[Env]:
    """`under`: the bus and queue prefix (default: a fresh in-memory bus, no prefix)."""
    ms_tenant = server.sim.add_tenant("contoso.example")
    app = server.sim.add_app(ms_tenant.id, secret=SECRET)
    hook_server = TestServer(webhook_app, host="127.0.0.1")
    await hook_server.start_server()
    webhook_url = str(hook_server.make_url("")).rstrip("/")
    store = await open_store(None, key=KEY)
    await store.tenants.put(tenant_record(ms_tenant.id, app.client_id, server.base_url))
    under = under or BusUnderTest(MemoryBus())
    bus = under.bus
    await bus.connect()
    await bus.declare(
        [
            under.own(queue_spec(routing.GRAPH_CONNECTOR_REQUESTS)),
            under.own(queue_spec(routing.GAROON_CONNECTOR_REQUESTS)),
        ]
    )
    clock = Clock()
    settings = Settings(
        service_name="renewal",
        http_host="127.0.0.1",
        http_port=0,
        public_base_url=webhook_url,
        ca_file=str(server.ca_file),
    )
    tls = ssl.create_default_context(cafile=str(server.ca_file))
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls))
    ctx = service_context(settings, bus=bus, store=store, http=http, clock=clock)
    service = RenewalService(RenewalConfig(**config))
    service.bind(ctx)
    env = Env(
        server,
        ms_tenant.id,
        app.client_id,
        store,
        bus,
        clock,
        service,
        ctx,
        webhook,
        webhook_url,
        under=under,
    )
    try:
        yield env
    finally:
        await http.close()
        await bus.close()
        await store.close()
        await hook_server.close()


@pytest.fixture
async def sim_server() -> AsyncIterator[GraphSimServer]:
    async with GraphSimServer(port=0, tls=True) as server:
        # Fast notification delivery: the simulator batches for 50 ms by default.
        server.sim.set_switches(notification_delay_ms=0, notification_batch_window_ms=10)
        yield server


@pytest.fixture
async def env(sim_server: GraphSimServer) -> AsyncIterator[Env]:
    webhook = Webhook()
    async for made in make_env(sim_server, webhook.app(), webhook):
        yield made
