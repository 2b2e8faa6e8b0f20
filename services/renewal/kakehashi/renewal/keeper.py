"""Keep exactly one live Graph subscription per synced user (graph-api.md §2.1-2.3, §2.6).

Every change to a user's subscriptions happens under that user's lock, so the periodic tick and
a lifecycle message never work on the same user at once (the service runs as one replica).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from kakehashi.contracts.state import LinkStatus, Subscription, Tenant, UserLink
from kakehashi.graph_client import BadRequest, Conflict, GraphClient, NotFound
from kakehashi.renewal.config import RenewalConfig
from kakehashi.renewal.metrics import OPERATIONS
from kakehashi.renewal.resync import Resyncs
from kakehashi.store import Store

log = logging.getLogger("kakehashi.renewal")

# "Subscription expiration can only be 4230 minutes in the future."
_ALLOWED_MINUTES = re.compile(r"can only be (\d+) minutes in the future", re.IGNORECASE)
# "Subscription Id <id> already exists for the requested combination"
_EXISTING_ID = re.compile(r"Subscription Id (\S+) already exists", re.IGNORECASE)
# Requested expiry stays this far under a limit Graph told us, for clock skew.
_SKEW = timedelta(minutes=10)
_MIN_LIFETIME = timedelta(minutes=45)


def wanted(link: UserLink) -> bool:
    """Whether a user should have a subscription: enabled, linked, with a Graph user id."""
    return link.enabled and link.status == LinkStatus.LINKED and bool(link.graph_user_id)


def resource_of(link: UserLink) -> str:
    return f"/users/{link.graph_user_id}/events"


def parse_graph_time(value: Any) -> datetime:
    """Graph's expirationDateTime (7 fractional digits, Z or offset) as an aware datetime."""
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class SubscriptionKeeper:
    def __init__(
        self, store: Store, resyncs: Resyncs, config: RenewalConfig, notification_url: str | None
    ) -> None:
        self.store = store
        self.resyncs = resyncs
        self.config = config
        self.notification_url = notification_url
        self._locks: dict[str, asyncio.Lock] = {}
        # What a tenant's Graph accepts, learned from its 400 answers.
        self._lifetimes: dict[str, timedelta] = {}
        self._warned_no_url = False

    def lock(self, link_id: str) -> asyncio.Lock:
        return self._locks.setdefault(link_id, asyncio.Lock())

    def lifetime(self, tenant_id: str) -> timedelta:
        return self._lifetimes.get(tenant_id, self.config.lifetime)

    # ---------------------------------------------------------------- the periodic check
    async def keep(
        self, tenant: Tenant, link: UserLink, client: GraphClient, now: datetime
    ) -> None:
        """Bring one user's subscriptions to the wanted state. Caller holds the user's lock."""
        subs = await self.store.subscriptions.by_user_link(link.id)
        if not wanted(link):
            for unwanted in subs:
                await self.delete(client, unwanted)
            await self.resyncs.forgive(link)
            return
        resource = resource_of(link)
        matching = [s for s in subs if s.resource == resource]  # soonest expiry first
        # Another resource (the Graph user id changed) or a duplicate: not needed any more.
        for extra in [s for s in subs if s.resource != resource] + matching[:-1]:
            await self.delete(client, extra)
        sub: Subscription | None = matching[-1] if matching else None
        if sub is not None and sub.expires_at <= now:
            # Graph deletes a subscription at its expiry; what changed since went unnoticed.
            log.warning("subscription expired before renewal", extra={"subscription_id": sub.id})
            await self.resyncs.owe(link, "subscription expired")
            await self.store.subscriptions.delete(sub.id)
            sub = None
        if sub is None:
            await self.create(tenant, link, client, now)
        elif sub.expires_at - now < self.lifetime(tenant.id) * self.config.renew_fraction:
            await self.renew(tenant, link, client, sub, now)
        await self.resyncs.settle(link)

    # ---------------------------------------------------------------- operations
    async def create(
        self, tenant: Tenant, link: UserLink, client: GraphClient, now: datetime
    ) -> Subscription | None:
        """Create the user's subscription; the Graph side is resynced once it is live."""
        url = self.notification_url
        if url is None:
            if not self._warned_no_url:  # once, not once per user and tick
                self._warned_no_url = True
                log.warning(
                    "cannot create Graph subscriptions: KAKEHASHI_PUBLIC_BASE_URL is not set"
                )
            return None
        # Owed before the call: until the subscription exists nothing tells us about changes.
        await self.resyncs.owe(link, "subscription created")
        client_state = secrets.token_urlsafe(32)  # 43 characters; Graph allows 128
        resource = resource_of(link)

        async def post(expiration: datetime) -> dict[str, Any]:
            return await client.create_subscription(
                resource=resource,
                notification_url=url,
                lifecycle_notification_url=url,
                expiration=expiration,
                client_state=client_state,
                change_type=self.config.change_type,
            )

        try:
            body = await self._with_lifetime(tenant.id, now, post)
        except Conflict as exc:
            reused = await self._resolve_conflict(link, client, str(exc))
            if reused is not None:
                return reused
            body = await self._with_lifetime(tenant.id, now, post)  # the way is clear now
        except Exception:
            OPERATIONS.labels("create", "error").inc()
            raise
        sub = Subscription(
            id=str(body["id"]),
            tenant_id=tenant.id,
            user_link_id=link.id,
            resource=resource,
            client_state=SecretStr(client_state),
            expires_at=parse_graph_time(body["expirationDateTime"]),
            created_at=now,
        )
        await self.store.subscriptions.upsert(sub)
        OPERATIONS.labels("create", "ok").inc()
        log.info(
            "subscription created",
            extra={
                "user_link_id": link.id,
                "subscription_id": sub.id,
                "expires_at": str(sub.expires_at),
            },
        )
        return sub

    async def renew(
        self, tenant: Tenant, link: UserLink, client: GraphClient, sub: Subscription, now: datetime
    ) -> None:
        async def patch(expiration: datetime) -> dict[str, Any]:
            return await client.renew_subscription(sub.id, expiration)

        try:
            body = await self._with_lifetime(tenant.id, now, patch)
        except NotFound:
            OPERATIONS.labels("renew", "gone").inc()
            await self.replace(tenant, link, client, sub, now, "subscription missing at renewal")
            return
        except Exception:
            OPERATIONS.labels("renew", "error").inc()
            raise
        renewed = sub.model_copy(
            update={"expires_at": parse_graph_time(body["expirationDateTime"])}
        )
        await self.store.subscriptions.upsert(renewed)
        OPERATIONS.labels("renew", "ok").inc()
        log.info(
            "subscription renewed",
            extra={"subscription_id": sub.id, "expires_at": str(renewed.expires_at)},
        )

    async def reauthorize(
        self, tenant: Tenant, link: UserLink, client: GraphClient, sub: Subscription, now: datetime
    ) -> None:
        try:
            await client.reauthorize_subscription(sub.id)
        except NotFound:
            OPERATIONS.labels("reauthorize", "gone").inc()
            await self.replace(
                tenant, link, client, sub, now, "subscription missing at reauthorize"
            )
            return
        except Exception:
            OPERATIONS.labels("reauthorize", "error").inc()
            raise
        OPERATIONS.labels("reauthorize", "ok").inc()
        log.info("subscription reauthorized", extra={"subscription_id": sub.id})

    async def replace(
        self,
        tenant: Tenant,
        link: UserLink,
        client: GraphClient,
        old: Subscription,
        now: datetime,
        reason: str,
    ) -> None:
        """Graph no longer has `old`: forget it, subscribe again, then resync the gap."""
        await self.resyncs.owe(link, reason)
        await self.store.subscriptions.delete(old.id)
        if wanted(link):
            await self.create(tenant, link, client, now)
            await self.resyncs.settle(link)
        else:
            await self.resyncs.forgive(link)

    async def delete(self, client: GraphClient | None, sub: Subscription) -> None:
        """Delete on Graph (gone already is fine), then forget it."""
        if client is not None:
            try:
                await client.delete_subscription(sub.id)
            except NotFound:
                pass
            except Exception:
                OPERATIONS.labels("delete", "error").inc()
                raise
        await self.store.subscriptions.delete(sub.id)
        OPERATIONS.labels("delete", "ok").inc()
        log.info("subscription deleted", extra={"subscription_id": sub.id})

    # ---------------------------------------------------------------- helpers
    async def _with_lifetime(
        self,
        tenant_id: str,
        now: datetime,
        call: Callable[[datetime], Awaitable[dict[str, Any]]],
    ) -> dict[str, Any]:
        """Call with now + lifetime; if Graph names a lower maximum, learn it and retry once."""
        try:
            return await call(now + self.lifetime(tenant_id))
        except BadRequest as exc:
            match = _ALLOWED_MINUTES.search(str(exc))
            if match is None:
                raise
            allowed = max(_MIN_LIFETIME, timedelta(minutes=int(match.group(1))) - _SKEW)
            if allowed >= self.lifetime(tenant_id):
                raise
            log.warning(
                "Graph allows a shorter subscription lifetime; using it",
                extra={"tenant_id": tenant_id, "minutes": allowed.total_seconds() // 60},
            )
            self._lifetimes[tenant_id] = allowed
            return await call(now + allowed)

    async def _resolve_conflict(
        self, link: UserLink, client: GraphClient, message: str
    ) -> Subscription | None:
        """409: a subscription for this resource exists. Reuse it if we know its clientState,
        else delete it so a new one (with a clientState we know) can be created."""
        resource = resource_of(link).strip("/").lower()
        candidates: list[str] = []
        if found := _EXISTING_ID.search(message):
            candidates.append(found.group(1).rstrip(".,;"))
        for listed in await client.list_subscriptions():
            if str(listed.get("resource", "")).strip("/").lower() == resource:
                candidates.append(str(listed.get("id")))
        for sub_id in dict.fromkeys(candidates):
            stored = await self.store.subscriptions.get(sub_id)
            if stored is not None and stored.user_link_id == link.id:
                OPERATIONS.labels("reuse", "ok").inc()
                log.info("subscription reused after 409", extra={"subscription_id": sub_id})
                return stored
        for sub_id in dict.fromkeys(candidates):
            with contextlib.suppress(NotFound):
                await client.delete_subscription(sub_id)
            OPERATIONS.labels("delete", "ok").inc()
            log.info("unknown subscription deleted after 409", extra={"subscription_id": sub_id})
        return None
