"""Deciding a batch of deletions the mass-delete guard withheld.

Confirm: the batch becomes `confirmed`; the connector's next sweep (asked for at once with a
resync request) lets exactly those mappings through the guard, once, and marks it `applied`.

Reject: the deletions are never propagated. The batch's mappings are tombstoned, so the pair
is closed: the surviving copies on the other side stay as they are and are no longer synced,
later sweeps no longer count them (no new batch for them), and an event that reappears under
the same id is not synced again. The batch becomes `rejected`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from kakehashi.admin.http import ApiError
from kakehashi.bus import Unroutable
from kakehashi.contracts.messages import ResyncRequest, Side
from kakehashi.contracts.state import (
    AuditEntry,
    HeldDelete,
    HeldDeleteStatus,
    Mapping,
    MappingState,
    UserLink,
)
from kakehashi.runtime import ServiceContext

log = logging.getLogger(__name__)
WHO = "admin"  # the admin API has one token, so no finer identity is known
CAS_ATTEMPTS = 5


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def view(ctx: ServiceContext, held: HeldDelete, link: UserLink | None) -> dict[str, Any]:
    mappings = []
    for mapping_id in held.mapping_ids:
        m = await ctx.store.mappings.get(mapping_id)
        base = m.base if m is not None else None
        mappings.append(
            {
                "id": mapping_id,
                "garoon_id": m.garoon_id if m else None,
                "graph_ical_uid": m.graph_ical_uid if m else None,
                "title": base.title if base else None,
                "start": _iso(base.start) if base else None,
                "state": m.state.value if m else None,
            }
        )
    return {
        "id": held.id,
        "user": link.garoon_login if link else None,
        "user_link_id": held.user_link_id,
        "side": held.side,
        "status": held.status.value,
        "reason": held.reason,
        "count": len(held.mapping_ids),
        "mappings": mappings,
        "first_seen": _iso(held.first_seen),
        "last_seen": _iso(held.last_seen),
        "decided_at": _iso(held.decided_at),
        "decided_by": held.decided_by,
        "applied_at": _iso(held.applied_at),
    }


async def pending_of(ctx: ServiceContext, link: UserLink) -> list[HeldDelete]:
    found = await ctx.store.held_deletes.list(link.tenant_id, user_link_id=link.id)
    pending = [h for h in found if h.status == HeldDeleteStatus.PENDING]
    if not pending:
        raise ApiError(
            409, "nothing_held", f"no deletions are held for {link.garoon_login!r}; nothing to do"
        )
    return pending


async def _decide(ctx: ServiceContext, held: HeldDelete, status: HeldDeleteStatus) -> HeldDelete:
    """Claim the pending batch as seen; a sweep that refreshed it meanwhile wins (409)."""
    decided = held.model_copy(
        update={"status": status, "decided_at": ctx.clock(), "decided_by": WHO}
    )
    if not await ctx.store.held_deletes.compare_and_set(decided, held.revision):
        raise ApiError(
            409, "batch_changed", "a sweep changed this batch meanwhile: look at it again"
        )
    return decided.model_copy(update={"revision": held.revision + 1})


async def _audit(ctx: ServiceContext, held: HeldDelete, action: str) -> None:
    for mapping_id in held.mapping_ids:
        await ctx.store.audit.append(
            AuditEntry(
                tenant_id=held.tenant_id,
                mapping_id=mapping_id,
                user_link_id=held.user_link_id,
                side=held.side,
                action=action,
                rule="held-delete",
                detail=f"by {WHO}; the guard had withheld it: {held.reason}",
                at=ctx.clock(),
            )
        )


async def confirm(ctx: ServiceContext, held: HeldDelete) -> tuple[HeldDelete, bool]:
    """The confirmed batch, and whether a resync was requested to apply it now."""
    decided = await _decide(ctx, held, HeldDeleteStatus.CONFIRMED)
    await _audit(ctx, decided, "confirm-delete")
    request = ResyncRequest(
        tenant_id=held.tenant_id,
        side=Side(held.side),
        user_link_id=held.user_link_id,
        reason="held deletions confirmed",
    )
    try:
        await ctx.bus.publish(request)
    except Unroutable:
        return decided, False
    except Exception as exc:  # confirmed is stored; the regular sweep applies it
        log.warning("resync request not published", extra={"error": str(exc)})
        return decided, False
    return decided, True


async def reject(ctx: ServiceContext, held: HeldDelete) -> tuple[HeldDelete, int]:
    """The rejected batch, and how many mappings were tombstoned."""
    decided = await _decide(ctx, held, HeldDeleteStatus.REJECTED)
    closed = 0
    for mapping_id in decided.mapping_ids:
        if await _tombstone(ctx, mapping_id):
            closed += 1
    await _audit(ctx, decided, "reject-delete")
    return decided, closed


async def _tombstone(ctx: ServiceContext, mapping_id: str) -> bool:
    for _ in range(CAS_ATTEMPTS):
        mapping = await ctx.store.mappings.get(mapping_id)
        if mapping is None or mapping.state == MappingState.TOMBSTONED:
            return False
        closed: Mapping = mapping.model_copy(
            update={
                "state": MappingState.TOMBSTONED,
                "tombstoned_at": ctx.clock(),
                "updated_at": ctx.clock(),
                "last_rule": "held-delete-rejected",
            }
        )
        if await ctx.store.mappings.compare_and_set(closed, mapping.revision):
            return True
    raise ApiError(409, "mapping_busy", f"mapping {mapping_id} keeps changing; try again")
