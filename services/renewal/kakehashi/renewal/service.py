"""The renewal service: a periodic tick over every tenant and user, plus lifecycle messages.

Each tick, per tenant: report the client-secret expiry; per user: keep one Graph subscription
alive (create, renew, delete when disabled), publish owed resyncs, and roll the sync window once
a day. Failures stay with their tenant or user; the next tick tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from kakehashi.bus.api import Handler, QueueSpec
from kakehashi.contracts import routing
from kakehashi.contracts.state import Tenant, UserLink
from kakehashi.graph_client import GraphClient
from kakehashi.renewal.clients import ClientFactory, GraphClients, NoCredentials
from kakehashi.renewal.config import RenewalConfig
from kakehashi.renewal.handlers import make_handlers
from kakehashi.renewal.keeper import SubscriptionKeeper
from kakehashi.renewal.lifecycle import LifecycleHandler
from kakehashi.renewal.metrics import LAST_TICK
from kakehashi.renewal.resync import Resyncs
from kakehashi.renewal.secret_expiry import SecretExpiryWatch
from kakehashi.runtime import Service, ServiceContext, queue_spec

log = logging.getLogger("kakehashi.renewal")

# Where our resync requests go; declared at start so none is refused before a connector ran.
TARGET_QUEUES = (routing.GRAPH_CONNECTOR_REQUESTS, routing.GAROON_CONNECTOR_REQUESTS)
# "All subscriptions" for the orphan sweep (the repository lists by expiry only).
_FAR_FUTURE = timedelta(days=3650)


@dataclass(frozen=True)
class _Bound:
    ctx: ServiceContext
    keeper: SubscriptionKeeper
    clients: GraphClients


class RenewalService(Service):
    name: ClassVar[str] = "renewal"

    def __init__(
        self, config: RenewalConfig | None = None, *, client_factory: ClientFactory | None = None
    ) -> None:
        self.config = config or RenewalConfig.from_env()
        self._client_factory = client_factory
        self._bound: _Bound | None = None
        self._secrets = SecretExpiryWatch(self.config.secret_warning)
        self._loop: asyncio.Task[None] | None = None
        self._tick_lock = asyncio.Lock()

    # ---------------------------------------------------------------- wiring
    def bind(self, ctx: ServiceContext) -> SubscriptionKeeper:
        """Build the parts that need the context (idempotent); tests call it directly."""
        if self._bound is None or self._bound.ctx is not ctx:
            base = ctx.settings.public_base_url
            url = f"{base.rstrip('/')}{self.config.webhook_path}" if base else None
            keeper = SubscriptionKeeper(ctx.store, Resyncs(ctx.store, ctx.bus), self.config, url)
            clients = GraphClients(ctx.http, ca_file=ctx.settings.ca_file)
            self._bound = _Bound(ctx, keeper, clients)
        return self._bound.keeper

    @property
    def bound(self) -> _Bound:
        if self._bound is None:
            raise RuntimeError("renewal service not bound: call bind(ctx) or start(ctx) first")
        return self._bound

    def client_for(self, tenant: Tenant) -> GraphClient:
        if self._client_factory is not None:
            return self._client_factory(tenant)
        return self.bound.clients.for_tenant(tenant)

    def lifecycle_handler(self, ctx: ServiceContext) -> LifecycleHandler:
        return LifecycleHandler(self.bind(ctx), self.client_for, ctx.clock)

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        handlers = make_handlers(ctx, self.lifecycle_handler(ctx))
        return [(queue_spec(queue), handler) for queue, handler in handlers.items()]

    async def start(self, ctx: ServiceContext) -> None:
        self.bind(ctx)
        try:
            await ctx.bus.declare([queue_spec(name) for name in TARGET_QUEUES])
        except Exception as exc:
            # The connectors own these queues; their own declaration is what counts.
            log.warning("could not declare the request queues", extra={"error": type(exc).__name__})
        self._loop = asyncio.create_task(self._run(), name="renewal-loop")

    async def stop(self) -> None:
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None

    async def _run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("renewal tick failed")
            spread = self.config.jitter * self.config.interval
            await asyncio.sleep(self.config.interval + random.uniform(-spread, spread))

    # ---------------------------------------------------------------- one pass
    async def tick(self) -> None:
        """One pass over every tenant and user. Safe to call at any time (serialised)."""
        ctx = self.bound.ctx
        async with self._tick_lock:
            now = ctx.clock()
            tenants = await ctx.store.tenants.list()
            self._secrets.observe(tenants, now)
            for tenant in tenants:
                try:
                    await self._tenant(tenant, now)
                except Exception:
                    log.exception("renewal failed for a tenant", extra={"tenant_id": tenant.id})
            await self._sweep_orphans(tenants, now)
            LAST_TICK.set(time.time())

    async def _tenant(self, tenant: Tenant, now: datetime) -> None:
        links = await self.bound.ctx.store.user_links.list(tenant.id)
        client: GraphClient | None = None
        if tenant.graph is not None:
            try:
                client = self.client_for(tenant)
            except NoCredentials as exc:
                log.warning("tenant skipped", extra={"tenant_id": tenant.id, "reason": str(exc)})
        slots = asyncio.Semaphore(max(1, self.config.concurrency))

        async def one(link: UserLink) -> None:
            async with slots:
                await self._link(tenant, link, client, now)

        await asyncio.gather(*(one(link) for link in links))

    async def _link(
        self, tenant: Tenant, link: UserLink, client: GraphClient | None, now: datetime
    ) -> None:
        keeper = self.bound.keeper
        try:
            await keeper.resyncs.roll_window(link, now.date())
            if client is not None:
                async with keeper.lock(link.id):
                    await keeper.keep(tenant, link, client, now)
        except Exception as exc:
            # One user's trouble (a 403 on their mailbox, say) must not stop the others.
            log.warning(
                "renewal failed for a user",
                extra={"tenant_id": tenant.id, "user_link_id": link.id, "error": str(exc)},
            )

    async def _sweep_orphans(self, tenants: list[Tenant], now: datetime) -> None:
        """Subscriptions whose user link or tenant is gone: delete them (on Graph if we can)."""
        store = self.bound.ctx.store
        by_id = {t.id: t for t in tenants}
        for sub in await store.subscriptions.list_expiring(now + _FAR_FUTURE):
            tenant = by_id.get(sub.tenant_id)
            if tenant is not None and await store.user_links.get(sub.user_link_id) is not None:
                continue
            client = None
            if tenant is not None and tenant.graph is not None:
                with contextlib.suppress(NoCredentials):
                    client = self.client_for(tenant)
            try:
                await self.bound.keeper.delete(client, sub)
            except Exception as exc:
                log.warning(
                    "could not delete an orphaned subscription",
                    extra={"subscription_id": sub.id, "error": str(exc)},
                )
