"""Held mass deletes: list the batches the guard withheld, confirm or reject one user's."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kakehashi.admin import held
from kakehashi.admin.http import PREFIX, load_link, load_tenant
from kakehashi.runtime import ServiceContext

T = PREFIX + "/tenants/{tenant}"
U = T + "/users/{login}/held-deletes"


class HeldDeleteRoutes:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", T + "/held-deletes", self.list_tenant),
            ("GET", U, self.list_user),
            ("POST", U + "/confirm", self.confirm),
            ("POST", U + "/reject", self.reject),
        ]

    async def list_tenant(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        links = {link.id: link for link in await self.ctx.store.user_links.list(tenant.id)}
        batches = await self.ctx.store.held_deletes.list(tenant.id)
        views = [await held.view(self.ctx, h, links.get(h.user_link_id)) for h in batches]
        return web.json_response({"held_deletes": views})

    async def list_user(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        link = await load_link(self.ctx, tenant, request)
        batches = await self.ctx.store.held_deletes.list(tenant.id, user_link_id=link.id)
        return web.json_response(
            {"held_deletes": [await held.view(self.ctx, h, link) for h in batches]}
        )

    async def confirm(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        link = await load_link(self.ctx, tenant, request)
        decided, resync = [], True
        for batch in await held.pending_of(self.ctx, link):
            done, requested = await held.confirm(self.ctx, batch)
            decided.append(await held.view(self.ctx, done, link))
            resync = resync and requested
        return web.json_response({"held_deletes": decided, "resync_requested": resync})

    async def reject(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        link = await load_link(self.ctx, tenant, request)
        decided, closed = [], 0
        for batch in await held.pending_of(self.ctx, link):
            done, count = await held.reject(self.ctx, batch)
            decided.append(await held.view(self.ctx, done, link))
            closed += count
        return web.json_response({"held_deletes": decided, "tombstoned": closed})
