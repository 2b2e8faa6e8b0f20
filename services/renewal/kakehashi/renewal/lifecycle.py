"""React to Graph lifecycle notifications (graph-api.md §2.6), delivered via the ingress.

reauthorizationRequired -> reauthorize; subscriptionRemoved -> subscribe again, then resync with
delta; missed -> resync with delta. Redelivery is harmless: a removed subscription is no longer
in the store the second time, and a repeated `missed` reuses its resync id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kakehashi.bus.api import Poison, Retry
from kakehashi.contracts import GraphLifecycle, Message, Side, deterministic_id, routing
from kakehashi.graph_client import GraphClient, GraphError, ServerError, Throttled
from kakehashi.renewal.clients import NoCredentials
from kakehashi.renewal.keeper import SubscriptionKeeper
from kakehashi.store import StoreError

log = logging.getLogger("kakehashi.renewal")


class LifecycleHandler:
    def __init__(
        self,
        keeper: SubscriptionKeeper,
        client_for: Callable[..., GraphClient],
        clock: Callable[[], datetime],
    ) -> None:
        self.keeper = keeper
        self.client_for = client_for
        self.clock = clock

    async def __call__(self, message: Message) -> None:
        if not isinstance(message, GraphLifecycle):
            raise Poison(f"renewal.lifecycle got a {type(message).__name__}")
        try:
            await self._handle(message)
            log.debug(
                "message handled",
                extra={
                    "queue": routing.RENEWAL_LIFECYCLE,
                    "message_id": message.message_id,
                    "kind": message.KIND,
                },
            )
        except StoreError as exc:
            raise Retry(f"store: {exc}") from exc
        except GraphError as exc:
            # Transient: no answer, 5xx, throttled. Anything else will not heal by retrying;
            # the periodic tick repairs the subscription and owed resyncs are kept in the store.
            if exc.status == 0 or isinstance(exc, ServerError | Throttled):
                raise Retry(f"graph: {exc}") from exc
            raise Poison(f"graph refused {message.lifecycle_event}: {exc}") from exc

    async def _handle(self, message: GraphLifecycle) -> None:
        store = self.keeper.store
        sub = await store.subscriptions.get(message.subscription_id)
        if sub is None:
            log.info(
                "lifecycle event for a subscription we no longer keep",
                extra={
                    "subscription_id": message.subscription_id,
                    "event": message.lifecycle_event,
                },
            )
            return
        tenant = await store.tenants.get(sub.tenant_id)
        link = await store.user_links.get(sub.user_link_id)
        if tenant is None or link is None:
            await store.subscriptions.delete(sub.id)  # the tick deletes it on Graph if it can
            return
        event = message.lifecycle_event
        log.info(
            "lifecycle event",
            extra={"subscription_id": sub.id, "event": event, "user_link_id": link.id},
        )
        if event == "missed":
            # Notifications were lost; the subscription itself is fine.
            resync_id = deterministic_id("resync-missed", message.message_id)
            await self.keeper.resyncs.publish(link, Side.GRAPH, "missed", message_id=resync_id)
            return
        try:
            client = self.client_for(tenant)
        except NoCredentials as exc:
            raise Poison(str(exc)) from exc
        now = self.clock()
        async with self.keeper.lock(link.id):
            # Read again under the lock: the tick may have replaced it meanwhile.
            current = await store.subscriptions.get(sub.id)
            if current is None:
                return
            sub = current
            if event == "reauthorizationRequired":
                await self.keeper.reauthorize(tenant, link, client, sub, now)
            else:  # subscriptionRemoved
                await self.keeper.replace(tenant, link, client, sub, now, "subscriptionRemoved")
