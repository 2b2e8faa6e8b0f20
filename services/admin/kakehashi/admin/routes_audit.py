"""Why does this event look like this? The audit trail of one event, and a user's dry run."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kakehashi.admin import dryrun
from kakehashi.admin.http import PREFIX, ApiError, load_link, load_tenant
from kakehashi.contracts.state import Mapping
from kakehashi.runtime import ServiceContext

T = PREFIX + "/tenants/{tenant}"


class AuditRoutes:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", T + "/audit/{event}", self.audit),
            ("POST", T + "/users/{login}/dry-run", self.dry_run),
        ]

    async def _find(self, tenant_id: str, ref: str) -> tuple[Mapping, str] | None:
        """The mapping an admin means: a mapping id, a Garoon event id or a Graph iCalUId."""
        repo = self.ctx.store.mappings
        mapping = await repo.get(ref)
        if mapping is not None and mapping.tenant_id == tenant_id:
            return mapping, "mapping id"
        mapping = await repo.by_garoon_id(tenant_id, ref)
        if mapping is not None:
            return mapping, "Garoon event id"
        mapping = await repo.by_ical_uid(tenant_id, ref)
        if mapping is not None:
            return mapping, "Graph iCalUId"
        return None

    async def audit(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        ref = request.match_info["event"]
        found = await self._find(tenant.id, ref)
        if found is None:
            raise ApiError(
                404,
                "event_not_found",
                f"no synced event {ref!r}: give a Garoon event id, a Graph iCalUId or a mapping id",
            )
        mapping, matched_by = found
        entries = await self.ctx.store.audit.for_mapping(mapping.id)
        children = await self.ctx.store.mappings.list_series_children(mapping.id)
        link = await self.ctx.store.user_links.get(mapping.user_link_id)
        return web.json_response(
            {
                "mapping": {
                    "id": mapping.id,
                    "matched_by": matched_by,
                    "user": link.garoon_login if link else None,
                    "garoon_id": mapping.garoon_id,
                    "graph_ical_uid": mapping.graph_ical_uid,
                    "graph_id": mapping.graph.id,
                    "state": mapping.state.value,
                    "title": mapping.base.title if mapping.base else "",
                    "revision": mapping.revision,
                    "last_rule": mapping.last_rule,
                    "series_mapping_id": mapping.series_mapping_id,
                    "occurrence_mappings": [c.id for c in children],
                    "updated_at": mapping.updated_at.isoformat(),
                },
                "entries": [
                    {
                        "at": e.at.isoformat(),
                        "side": e.side,
                        "action": e.action,
                        "rule": e.rule,
                        "detail": e.detail,
                    }
                    for e in entries
                ],
            }
        )

    async def dry_run(self, request: web.Request) -> web.Response:
        tenant = await load_tenant(self.ctx, request)
        link = await load_link(self.ctx, tenant, request)
        return web.json_response(await dryrun.dry_run(self.ctx, tenant, link))
