"""Resync requests: owed after a gap in notifications, and the daily window roll.

A resync that is owed is first written to the store and only cleared once its request is
published, so a crash or a failed Graph call between "the gap happened" and "the request is
out" cannot lose it: the next tick publishes it.
"""

from __future__ import annotations

import logging
from datetime import date

from kakehashi.bus.api import Bus
from kakehashi.contracts import ResyncRequest, Side, deterministic_id
from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.renewal.metrics import RESYNCS
from kakehashi.store import Store

log = logging.getLogger("kakehashi.renewal")

# Per-user-link cursors (in the store's poll_cursors collection, names prefixed "renewal.").
OWED = "renewal.resync_owed"
ROLLED = "renewal.window_rolled"


class Resyncs:
    def __init__(self, store: Store, bus: Bus) -> None:
        self._cursors = store.poll_cursors
        self._bus = bus

    async def owe(self, link: UserLink, reason: str) -> None:
        """Record that the Graph side of `link` must be re-read (published by `settle`).

        A resync already owed keeps its reason: the first cause is the one worth reporting.
        """
        if await self._cursors.get(link.id, OWED) is None:
            await self._cursors.set(link.id, OWED, reason)

    async def forgive(self, link: UserLink) -> None:
        """The link is no longer synced: nothing is owed any more."""
        await self._cursors.delete(link.id, OWED)

    async def settle(self, link: UserLink) -> None:
        """Publish the owed Graph resync, if any; call once the subscription is live again."""
        reason = await self._cursors.get(link.id, OWED)
        if reason is None:
            return
        await self.publish(link, Side.GRAPH, reason)
        await self._cursors.delete(link.id, OWED)

    async def publish(
        self, link: UserLink, side: Side, reason: str, *, message_id: str | None = None
    ) -> None:
        request = ResyncRequest(
            tenant_id=link.tenant_id, side=side, user_link_id=link.id, reason=reason
        )
        if message_id is not None:
            request = request.model_copy(update={"message_id": message_id})
        await self._bus.publish(request)
        RESYNCS.labels(side.value, reason).inc()
        log.info(
            "resync requested",
            extra={"user_link_id": link.id, "side": side.value, "reason": reason},
        )

    async def roll_window(self, link: UserLink, today: date) -> bool:
        """Once per day and user: re-read both sides so occurrences entering the window sync.

        Returns True when requests were published. Ids are deterministic per (link, day,
        side), so a repeated roll after a crash collapses at the consumers.
        """
        if not link.enabled or link.status != LinkStatus.LINKED:
            return False
        day = today.isoformat()
        if await self._cursors.get(link.id, ROLLED) == day:
            return False
        for side in (Side.GAROON, Side.GRAPH):
            message_id = deterministic_id("window-roll", link.id, day, side.value)
            await self.publish(link, side, "window roll", message_id=message_id)
        await self._cursors.set(link.id, ROLLED, day)
        return True
