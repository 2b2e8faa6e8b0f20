"""`sync --dry-run --user U`: what a sync of one user would do, without doing any of it.

With working credentials both calendars are read (window: today or the backfill date up to the
repeat horizon), translated, and handed with the stored mappings to the engine's `explain`,
which runs the same decisions the translator runs and the same mass-delete guard. Without
credentials, or when a side cannot be read, the stored mappings alone are reported, and the
answer says so (`source`).
"""

from __future__ import annotations

import logging
from typing import Any

from kakehashi.admin import clients
from kakehashi.contracts.messages import ObservedEvent, ObservedGaroon, ObservedGraph, Side
from kakehashi.contracts.state import Mapping, Tenant, UserLink
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.explain import Explanation, explain
from kakehashi.engine.guard import Listing
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.engine.translate.garoon_rest import from_garoon
from kakehashi.engine.translate.graph import from_graph
from kakehashi.garoon_client import GaroonError
from kakehashi.graph_client import GraphError
from kakehashi.runtime import ServiceContext

log = logging.getLogger(__name__)


class _Unreadable(Exception):
    pass


async def dry_run(ctx: ServiceContext, tenant: Tenant, link: UserLink) -> dict[str, Any]:
    mappings = await ctx.store.mappings.list_for_user(link.id)
    links = await ctx.store.user_links.list(tenant.id, enabled_only=True)
    decision_ctx = DecisionContext(
        tenant_id=tenant.id,
        clock=ctx.clock,
        translation=TranslationContext(
            facility_rooms=dict(tenant.facility_rooms),
            menu_categories=dict(tenant.menu_categories),
            users={lk.garoon_login: lk.m365_address for lk in links},
        ),
        policy=tenant.policy,
        linked_at=link.linked_at,
    )
    result: dict[str, Any] = {
        "user": link.garoon_login,
        "status": link.status.value,
        "window": {
            "start": decision_ctx.window_start.isoformat(),
            "end": decision_ctx.repeat_horizon.isoformat(),
        },
        "mappings": [_mapping_summary(m) for m in mappings],
    }
    if tenant.graph is None or tenant.garoon is None or not link.enabled:
        result.update(source="mappings", note=_why_not_live(tenant, link), actions=[], guards=[])
        return result
    try:
        observations, listings, skipped = await _observe(ctx, tenant, link, decision_ctx)
    except _Unreadable as exc:
        result.update(source="mappings", note=str(exc), actions=[], guards=[])
        return result
    try:
        explanation = explain(mappings, observations, decision_ctx, listings, tenant.policy)
    except Exception as exc:  # an engine bug must not hide the stored state from the admin
        log.exception("dry run: explain failed", extra={"user_link_id": link.id})
        result.update(source="mappings", note=f"the engine failed: {exc}", actions=[], guards=[])
        return result
    result.update(source="engine.explain", skipped=skipped, **_render(explanation))
    return result


def _why_not_live(tenant: Tenant, link: UserLink) -> str:
    if not link.enabled:
        return "the user is disabled: nothing would be synced"
    return "credentials are not set: only the stored mappings are shown"


async def _observe(
    ctx: ServiceContext, tenant: Tenant, link: UserLink, dctx: DecisionContext
) -> tuple[list[ObservedEvent], list[Listing], list[dict[str, str]]]:
    assert tenant.graph is not None
    assert tenant.garoon is not None
    start, end = dctx.window_start, dctx.repeat_horizon
    observations: list[ObservedEvent] = []
    skipped: list[dict[str, str]] = []
    garoon = clients.garoon_client(ctx, tenant.garoon)
    seen: dict[str, dict[str, Any]] = {}
    try:
        target = link.garoon_user_id or link.garoon_login
        rows = await garoon.list_events(
            target=target, target_type="user", range_start=start, range_end=end
        )
        for row in rows:
            event_id = str(row.get("id"))
            if event_id in seen:
                continue  # a repeating event comes once per occurrence
            if row.get("eventType") == "REPEATING":
                row = await garoon.get_event(event_id)  # the series, with its repeatInfo
            seen[event_id] = row
    except GaroonError as exc:
        raise _Unreadable(f"Garoon could not be read ({exc}): only mappings shown") from exc
    for event_id, row in seen.items():
        try:
            event = from_garoon(row, dctx.translation)
        except (KeyError, ValueError, TypeError) as exc:
            skipped.append({"side": "garoon", "id": event_id, "reason": str(exc)})
            continue
        observations.append(
            ObservedGaroon(
                tenant_id=tenant.id,
                side=Side.GAROON,
                user_link_id=link.id,
                source_id=event_id,
                version=str(row.get("updatedAt") or ""),
                modified_at=row.get("updatedAt"),
                event=event,
            )
        )
    listings = [Listing(Side.GAROON, frozenset(seen), window_start=start, window_end=end)]
    async with clients.graph_client(ctx, tenant.graph) as (graph, _):
        try:
            items = await graph.list_events(link.graph_user_id or link.m365_address)
        except GraphError as exc:
            raise _Unreadable(
                f"Microsoft 365 could not be read ({exc}): only mappings shown"
            ) from exc
    for item in items:
        try:
            event = from_graph(item, dctx.translation)
        except (KeyError, ValueError, TypeError) as exc:
            skipped.append({"side": "graph", "id": str(item.get("id")), "reason": str(exc)})
            continue
        observations.append(
            ObservedGraph(
                tenant_id=tenant.id,
                side=Side.GRAPH,
                user_link_id=link.id,
                source_id=str(item["id"]),
                ical_uid=item.get("iCalUId"),
                version=item.get("changeKey"),
                modified_at=item.get("lastModifiedDateTime"),
                event=event,
                is_organizer_copy=bool(item.get("isOrganizer", True)),
            )
        )
    graph_ids = frozenset(str(i.get("id")) for i in items)
    # /events lists every event, not a window: the guard must not treat it as windowed.
    listings.append(Listing(Side.GRAPH, graph_ids))
    return observations, listings, skipped


def _render(explanation: Explanation) -> dict[str, Any]:
    return {
        "actions": [
            {
                "mapping_id": a.mapping_id,
                "source": a.source_side.value,
                "source_id": a.source_id,
                "title": a.title,
                "action": a.action,
                "target": a.target_side.value if a.target_side else None,
                "rule": a.rule,
                "detail": a.detail,
            }
            for a in explanation.actions
        ],
        "guards": [
            {"allowed": g.allowed, "deletes": list(g.deletes), "reason": g.reason}
            for g in explanation.guards
        ],
    }


def _mapping_summary(m: Mapping) -> dict[str, Any]:
    pending = [
        f"{side}: {rec.pending_op or 'write'} in flight"
        for side, rec in (("garoon", m.garoon), ("graph", m.graph))
        if rec.pending_command_id
    ]
    return {
        "id": m.id,
        "title": m.base.title if m.base else "",
        "state": m.state.value,
        "garoon_id": m.garoon_id,
        "graph_ical_uid": m.graph_ical_uid,
        "last_rule": m.last_rule,
        "pending": pending,
        "updated_at": m.updated_at.isoformat(),
    }
