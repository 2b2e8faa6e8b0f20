"""The admin HTTP API as a Service: HTTP routes only, every one behind the admin token."""

from __future__ import annotations

from typing import ClassVar

from aiohttp import web

from kakehashi.admin import openapi
from kakehashi.admin.http import guarded
from kakehashi.admin.routes_audit import AuditRoutes
from kakehashi.admin.routes_dead_letters import DeadLetterRoutes
from kakehashi.admin.routes_held import HeldDeleteRoutes
from kakehashi.admin.routes_tenant import TenantRoutes
from kakehashi.admin.routes_users import UserRoutes
from kakehashi.runtime import Service, ServiceContext


class AdminService(Service):
    name: ClassVar[str] = "admin"

    def routes(self, ctx: ServiceContext) -> list[web.RouteDef]:
        found = [
            *TenantRoutes(ctx).routes(),
            *UserRoutes(ctx).routes(),
            *AuditRoutes(ctx).routes(),
            *DeadLetterRoutes(ctx).routes(),
            *HeldDeleteRoutes(ctx).routes(),
        ]
        # The OpenAPI document holds no data, so tooling may fetch it without the token.
        defs = [web.get(openapi.PATH, openapi.serve)]
        defs += [web.route(method, path, guarded(ctx, handler)) for method, path, handler in found]
        return defs
