"""User routes: list with status, enable/disable one user, re-link, CSV import."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kakehashi.admin import csv_import, linking
from kakehashi.admin.checks import reason
from kakehashi.admin.http import (
    PREFIX,
    ApiError,
    load_link,
    load_tenant,
    parse_model,
    read_body,
    read_json,
)
from kakehashi.admin.inputs import UserInput
from kakehashi.admin.views import link_view
from kakehashi.contracts.state import LinkStatus, Tenant, UserLink
from kakehashi.runtime import ServiceContext
from kakehashi.store import DuplicateKey

U = PREFIX + "/tenants/{tenant}/users"


class UserRoutes:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", U, self.list_users),
            ("POST", U + "/import", self.import_csv),
            ("GET", U + "/{login}", self.get_user),
            ("PUT", U + "/{login}", self.put_user),
            ("POST", U + "/{login}/link", self.relink),
        ]

    async def list_users(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        links = await self.ctx.store.user_links.list(tenant.id)
        return web.json_response({"users": [link_view(link) for link in links]})

    async def get_user(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        return web.json_response(link_view(await load_link(self.ctx, tenant, request)))

    async def put_user(self, request: web.Request) -> web.Response:
        """Enable (and link) or disable one user; creating one needs its M365 address."""
        tenant = await load_tenant(self.ctx, request)
        body = parse_model(UserInput, await read_json(request))
        login = request.match_info["login"]
        link = await self.ctx.store.user_links.by_garoon_login(tenant.id, login)
        if link is None:
            if not body.m365_address:
                raise ApiError(400, "invalid", "a new user needs m365_address")
            link = UserLink(tenant_id=tenant.id, garoon_login=login, m365_address=body.m365_address)
        changed_address = bool(body.m365_address) and body.m365_address != link.m365_address
        update: dict[str, Any] = {"enabled": body.enabled}
        if changed_address:
            # A different mailbox is a different link target: its ids must be looked up again.
            update.update(m365_address=body.m365_address, graph_user_id=None)
        link = link.model_copy(update=update)
        resynced = False
        if link.enabled and (changed_address or link.status != LinkStatus.LINKED):
            link = await linking.link_one(self.ctx, tenant, link)
        await self._store(link)
        if link.enabled and link.status == LinkStatus.LINKED:
            resynced = await linking.request_resync(self.ctx, link)
        return web.json_response({**link_view(link), "resync_requested": resynced})

    async def relink(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        link = await linking.link_one(self.ctx, tenant, await load_link(self.ctx, tenant, request))
        await self._store(link)
        return web.json_response(link_view(link))

    async def _store(self, link: UserLink) -> None:
        try:
            await self.ctx.store.user_links.upsert(link)
        except DuplicateKey as exc:
            raise ApiError(
                409, "conflict", f"{link.m365_address} is already linked to another user"
            ) from exc

    # ---------------------------------------------------------------- CSV
    async def import_csv(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        dry_run = request.query.get("dry_run", "").lower() in ("1", "true", "yes")
        data = await read_body(request)
        try:
            parsed = csv_import.parse(data)
        except csv_import.CsvError as exc:
            raise ApiError(400, "bad_csv", str(exc)) from exc
        accepted, rejected = await self._validate(tenant, parsed)
        applied = 0
        if not dry_run:
            for link in accepted:
                if await self._store_imported(link, rejected):
                    applied += 1
                    if link.enabled and link.status == LinkStatus.LINKED:
                        await linking.request_resync(self.ctx, link)
        rejected.sort(key=lambda r: r.line)
        return web.json_response(
            {
                "dry_run": dry_run,
                "encoding": parsed.encoding,
                "checked_remotely": tenant.graph is not None and tenant.garoon is not None,
                "applied": applied,
                "accepted": [link_view(link) for link in accepted],
                "rejected": [r.as_json() for r in rejected],
            }
        )

    async def _validate(
        self, tenant: Tenant, parsed: csv_import.Parsed
    ) -> tuple[list[UserLink], list[csv_import.Rejected]]:
        """Rows that can be applied (as links with their status) and every rejection."""
        links = self.ctx.store.user_links
        rejected = list(parsed.rejected)
        accepted: list[UserLink] = []
        async with linking.Resolver(self.ctx, tenant) as resolver:
            for row in parsed.rows:
                current = await links.by_garoon_login(tenant.id, row.login)
                holder = await links.by_m365_address(tenant.id, row.address)
                if holder is not None and holder.garoon_login != row.login:
                    rejected.append(
                        csv_import.Rejected(
                            row.line,
                            reason(
                                f"{row.address} is already linked to {holder.garoon_login!r}",
                                f"{row.address} はすでに {holder.garoon_login!r} に連携済みです",
                            ),
                            row.login,
                            row.address,
                        )
                    )
                    continue
                link = _row_link(tenant, current, row)
                if row.enabled and resolver.can_check:
                    # Only a checkable tenant can reject unknown users; otherwise they wait.
                    graph = await resolver.graph_user(row.address)
                    garoon = await resolver.garoon_user(row.login)
                    problem = "; ".join(p for p in (garoon.problem, graph.problem) if p)
                    if problem:
                        rejected.append(
                            csv_import.Rejected(row.line, problem, row.login, row.address)
                        )
                        continue
                    link = linking.outcome(link, graph, garoon)
                elif row.enabled and link.status != LinkStatus.LINKED:
                    waiting = [linking.NO_GRAPH] if tenant.graph is None else []
                    waiting += [linking.NO_GAROON] if tenant.garoon is None else []
                    link = link.model_copy(
                        update={"status": LinkStatus.PENDING, "reason": "; ".join(waiting)}
                    )
                accepted.append(link)
        return accepted, rejected

    async def _store_imported(self, link: UserLink, rejected: list[csv_import.Rejected]) -> bool:
        try:
            await self.ctx.store.user_links.upsert(link)
        except DuplicateKey:  # another request took the address after validation
            problem = reason(
                f"{link.m365_address} was linked to another user meanwhile",
                f"{link.m365_address} は処理中に別のユーザーに連携されました",
            )
            rejected.append(csv_import.Rejected(0, problem, link.garoon_login, link.m365_address))
            return False
        return True


def _row_link(tenant: Tenant, current: UserLink | None, row: csv_import.Row) -> UserLink:
    if current is None:
        return UserLink(
            tenant_id=tenant.id,
            garoon_login=row.login,
            m365_address=row.address,
            enabled=row.enabled,
        )
    update: dict[str, Any] = {"enabled": row.enabled}
    if current.m365_address.lower() != row.address.lower():
        update.update(m365_address=row.address, graph_user_id=None, status=LinkStatus.PENDING)
    return current.model_copy(update=update)
