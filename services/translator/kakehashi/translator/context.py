"""The DecisionContext for one message: tenant policy and lookup tables, the tenant's linked
users, and the injected clock. Loaded per message (two small reads), so an admin's change
to a policy or a link applies to the very next message on every replica."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kakehashi.bus import Poison
from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.store import Store


@dataclass(frozen=True)
class Loaded:
    ctx: DecisionContext
    link: UserLink | None  # the link the message is about; None when unknown


async def load(
    store: Store, tenant_id: str, user_link_id: str, clock: Callable[[], datetime]
) -> Loaded:
    tenant = await store.tenants.get(tenant_id)
    if tenant is None:
        # Retrying cannot make a tenant appear; park it where an operator sees it.
        raise Poison(f"unknown tenant {tenant_id!r}")
    links = await store.user_links.list(tenant_id)
    # Only verified, enabled links are a directory entry: a person is "linked" when both
    # keys are known to belong to one user.
    users = {
        ln.garoon_login: ln.m365_address
        for ln in links
        if ln.enabled and ln.status == LinkStatus.LINKED
    }
    link = next((ln for ln in links if ln.id == user_link_id), None)
    translation = TranslationContext(
        facility_rooms=dict(tenant.facility_rooms),
        menu_categories=dict(tenant.menu_categories),
        users=users,
    )
    ctx = DecisionContext(
        tenant_id=tenant_id,
        clock=clock,
        translation=translation,
        policy=tenant.policy,
        linked_at=link.linked_at if link else None,
    )
    return Loaded(ctx, link)


def syncs(link: UserLink | None) -> bool:
    """Whether this user's events are synced at all (a disabled user is left alone)."""
    return link is not None and link.enabled
