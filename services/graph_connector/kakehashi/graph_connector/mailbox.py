"""Who a message is about: tenant, user link, the tenant's Graph client, and the sync window.

A message only names ids; everything here is loaded from the store, so a hint naming a user we
do not sync (or a link of another tenant) goes no further than a log line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from kakehashi.contracts.state import Tenant, UserLink
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.graph_client import GraphClient, NotFound
from kakehashi.graph_connector.clients import ClientCache, NotConfigured
from kakehashi.store import Store

# Our single-value extended property (graph-api.md §5.2): a fixed named property, value = the
# mapping id. The GUID is ours and must never change, or existing copies lose their owner.
TAG_ID = "String {7e2b4c1d-5a3f-4b8e-9c6d-6b616b656861} Name KakehashiMapping"


# 404 codes that mean the mailbox itself is missing (deleted user, no Exchange licence), not the
# event: treating those as "event deleted" would delete a whole calendar on the other side.
MAILBOX_GONE_CODES = frozenset(
    {
        "ErrorInvalidUser",
        "MailboxNotEnabledForRESTAPI",
        "ErrorMailboxNotFound",
        "Request_ResourceNotFound",
    }
)


def event_missing(exc: NotFound) -> bool:
    """True when a 404 says the event is gone (a deletion), False when the mailbox is."""
    return (exc.code or "") not in MAILBOX_GONE_CODES


class Skip(Exception):
    """Nothing this connector may do for the message (unknown tenant/user): log and ack."""


@dataclass(frozen=True)
class Mailbox:
    tenant: Tenant
    link: UserLink
    client: GraphClient
    translation: TranslationContext
    decision: DecisionContext
    store: Store

    @property
    def user(self) -> str:
        # Always the same spelling per mailbox: the client's limiter is keyed by this string.
        return self.link.graph_user_id or self.link.m365_address

    def window(self) -> tuple[datetime, datetime]:
        """The sync window the engine uses: today (or the backfill date) to the repeat horizon."""
        return self.decision.window_start, self.decision.repeat_horizon


class Resolver:
    def __init__(self, store: Store, clients: ClientCache, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clients = clients
        self.clock = clock

    async def tenant(self, tenant_id: str) -> Tenant:
        tenant = await self.store.tenants.get(tenant_id)
        if tenant is None:
            raise Skip(f"unknown tenant {tenant_id}")
        if tenant.graph is None:
            raise Skip(f"tenant {tenant_id} has no Graph credentials")
        return tenant

    async def for_graph_user(self, tenant_id: str, user: str) -> Mailbox:
        """The mailbox a hint names, by Graph user id or by address."""
        links = self.store.user_links
        link = await links.by_graph_user_id(tenant_id, user)
        if link is None:
            link = await links.by_m365_address(tenant_id, user)
        if link is None:
            raise Skip(f"no user link for Graph user {user}")
        return await self._open(tenant_id, link)

    async def for_link(self, tenant_id: str, link_id: str) -> Mailbox:
        link = await self.store.user_links.get(link_id)
        if link is None or link.tenant_id != tenant_id:
            raise Skip(f"no user link {link_id} in tenant {tenant_id}")
        return await self._open(tenant_id, link)

    async def _open(self, tenant_id: str, link: UserLink) -> Mailbox:
        if not link.enabled:
            raise Skip(f"user link {link.id} is disabled")
        tenant = await self.tenant(tenant_id)
        try:
            client = self.clients.client_for(tenant)
        except NotConfigured as exc:
            raise Skip(str(exc)) from exc
        everyone = await self.store.user_links.list(tenant_id)
        translation = TranslationContext(
            facility_rooms=dict(tenant.facility_rooms),
            menu_categories=dict(tenant.menu_categories),
            users={u.garoon_login: u.m365_address for u in everyone},
        )
        decision = DecisionContext(
            tenant_id=tenant_id,
            clock=self.clock,
            translation=translation,
            policy=tenant.policy,
            linked_at=link.linked_at,
        )
        return Mailbox(tenant, link, client, translation, decision, self.store)
