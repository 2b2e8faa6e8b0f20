"""Tenant routes: credentials, Garoon connection, hint secret, verify, policy, mappings."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import SecretStr

from kakehashi.admin import inputs, verify
from kakehashi.admin.checks import PROPAGATION_EN, PROPAGATION_JA
from kakehashi.admin.http import PREFIX, ApiError, load_tenant, parse_model, read_json
from kakehashi.admin.views import tenant_view
from kakehashi.contracts.state import GaroonCredentials, GraphCredentials, SyncPolicy, Tenant
from kakehashi.runtime import ServiceContext

T = PREFIX + "/tenants/{tenant}"


class TenantRoutes:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", PREFIX + "/tenants", self.list_tenants),
            ("PUT", T, self.put_tenant),
            ("GET", T, self.get_tenant),
            ("PUT", T + "/graph", self.put_graph),
            ("PUT", T + "/garoon", self.put_garoon),
            ("POST", T + "/hint-secret", self.rotate_hint_secret),
            ("POST", T + "/verify", self.verify),
            ("GET", T + "/policy", self.get_policy),
            ("PUT", T + "/policy", self.put_policy),
            ("GET", T + "/mappings", self.get_mappings),
            ("PUT", T + "/mappings/facilities/{code}", self.put_facility),
            ("DELETE", T + "/mappings/facilities/{code}", self.delete_facility),
            ("PUT", T + "/mappings/menus/{menu}", self.put_menu),
            ("DELETE", T + "/mappings/menus/{menu}", self.delete_menu),
        ]

    async def _save(self, tenant: Tenant, **extra: Any) -> web.Response:
        await self.ctx.store.tenants.put(tenant)
        return web.json_response({**tenant_view(tenant, self.ctx.clock()), **extra})

    # ---------------------------------------------------------------- tenant
    async def list_tenants(self, request: web.Request) -> web.Response:
        tenants = await self.ctx.store.tenants.list()
        return web.json_response({"tenants": [tenant_view(t, self.ctx.clock()) for t in tenants]})

    async def get_tenant(self, request: web.Request) -> web.Response:
        return web.json_response(
            tenant_view(await load_tenant(self.ctx, request), self.ctx.clock())
        )

    async def put_tenant(self, request: web.Request) -> web.Response:
        body = parse_model(inputs.TenantInput, await read_json(request))
        tenant_id = request.match_info["tenant"]
        tenant = await self.ctx.store.tenants.get(tenant_id)
        if tenant is not None:
            return await self._save(tenant.model_copy(update={"name": body.name}))
        # A new tenant gets its hint secret now; it is shown this once, for Garoon's proxy.
        secret = inputs.new_hint_secret()
        tenant = Tenant(id=tenant_id, name=body.name, hint_secret=SecretStr(secret))
        await self.ctx.store.tenants.put(tenant)
        return web.json_response(
            {**tenant_view(tenant, self.ctx.clock()), **_secret_once(secret)}, status=201
        )

    async def rotate_hint_secret(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        secret = inputs.new_hint_secret()
        return await self._save(
            tenant.model_copy(update={"hint_secret": SecretStr(secret)}), **_secret_once(secret)
        )

    # ---------------------------------------------------------------- credentials
    async def put_graph(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(inputs.GraphInput, await read_json(request))
        graph = parse_model(GraphCredentials, inputs.merge_graph(tenant.graph, body))
        return await self._save(tenant.model_copy(update={"graph": graph}))

    async def put_garoon(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(inputs.GaroonInput, await read_json(request))
        garoon = parse_model(GaroonCredentials, inputs.merge_garoon(tenant.garoon, body))
        update: dict[str, Any] = {"garoon": garoon}
        extra: dict[str, Any] = {}
        if tenant.hint_secret is None:
            secret = inputs.new_hint_secret()
            update["hint_secret"] = SecretStr(secret)
            extra = _secret_once(secret)
        return await self._save(tenant.model_copy(update=update), **extra)

    async def verify(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        checks = await verify.verify_tenant(self.ctx, tenant)
        return web.json_response(
            {
                "tenant": tenant.id,
                "ok": all(c.ok for c in checks),
                "checks": [c.as_json() for c in checks],
                "note_en": PROPAGATION_EN.strip(),
                "note_ja": PROPAGATION_JA,
            }
        )

    # ---------------------------------------------------------------- policy
    async def get_policy(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        return web.json_response(tenant.policy.model_dump(mode="json"))

    async def put_policy(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(inputs.PolicyInput, await read_json(request))
        policy = parse_model(SyncPolicy, inputs.merge_policy(tenant.policy, body))
        await self.ctx.store.tenants.put(tenant.model_copy(update={"policy": policy}))
        return web.json_response(policy.model_dump(mode="json"))

    # ---------------------------------------------------------------- mappings
    async def get_mappings(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        return web.json_response(_mappings(tenant))

    async def put_facility(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(inputs.RoomInput, await read_json(request))
        rooms = {**tenant.facility_rooms, request.match_info["code"]: body.room}
        if len({r.lower() for r in rooms.values()}) != len(rooms):
            # The reverse lookup (room -> facility) must be unambiguous for round trips.
            raise ApiError(409, "conflict", f"room {body.room} is already mapped")
        return await self._save_mappings(tenant, facility_rooms=rooms)

    async def delete_facility(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        rooms = dict(tenant.facility_rooms)
        if rooms.pop(request.match_info["code"], None) is None:
            raise ApiError(404, "not_found", "no mapping for this facility")
        return await self._save_mappings(tenant, facility_rooms=rooms)

    async def put_menu(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(inputs.CategoryInput, await read_json(request))
        menus = {**tenant.menu_categories, request.match_info["menu"]: body.category}
        if len(set(menus.values())) != len(menus):
            # The reverse lookup (category -> menu) must be unambiguous for round trips.
            raise ApiError(409, "conflict", f"category {body.category!r} is already mapped")
        return await self._save_mappings(tenant, menu_categories=menus)

    async def delete_menu(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        menus = dict(tenant.menu_categories)
        if menus.pop(request.match_info["menu"], None) is None:
            raise ApiError(404, "not_found", "no mapping for this schedule menu")
        return await self._save_mappings(tenant, menu_categories=menus)

    async def _save_mappings(self, tenant: Tenant, **update: Any) -> web.Response:
        tenant = tenant.model_copy(update=update)
        await self.ctx.store.tenants.put(tenant)
        return web.json_response(_mappings(tenant))


def _mappings(tenant: Tenant) -> dict[str, Any]:
    return {
        "facility_rooms": dict(tenant.facility_rooms),
        "menu_categories": dict(tenant.menu_categories),
    }


def _secret_once(secret: str) -> dict[str, Any]:
    return {
        "hint_secret_once": secret,
        "hint_secret_note": "Shown only now: put it in Garoon's proxy setting as the "
        "X-Kakehashi-Secret header. / この値は今回だけ表示されます。Garoon のプロキシ設定で "
        "X-Kakehashi-Secret ヘッダーに設定してください。",
    }
