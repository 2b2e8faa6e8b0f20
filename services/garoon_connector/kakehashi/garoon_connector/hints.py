"""garoon_connector.hints: GaroonHint -> read the event -> ObservedGaroon.

A `teams_meeting` hint (the "Create Teams meeting" button) is observed like any other, and
then, once the read confirmed the event exists, forwarded as a `TeamsMeetingRequest` with the
invitees: the translator turns it into a TEAMS_MEETING command for the Graph side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from kakehashi.bus.api import Bus, Poison
from kakehashi.contracts import Message, deterministic_id
from kakehashi.contracts.messages import GaroonHint, TeamsMeetingRequest
from kakehashi.garoon_client import GaroonError
from kakehashi.garoon_connector.clients import ClientCache
from kakehashi.garoon_connector.errors import bus_error
from kakehashi.garoon_connector.metrics import EVENTS_OBSERVED
from kakehashi.garoon_connector.read import (
    hidden_from_service,
    observation,
    owner_link,
    read_event,
    split_origin,
)
from kakehashi.store import Store

log = logging.getLogger("kakehashi.garoon_connector")

# Ranges after which the series' own change (a new exclusion, a shortened period) has no hint
# of its own: Garoon's JS event names only the split-off event.
_SPLITS = {"THIS_ONLY", "ON_AND_AFTER"}


class HintHandler:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        cache: ClientCache,
        wake_sweep: Callable[[str], None] | None = None,
    ) -> None:
        self._store = store
        self._bus = bus
        self._cache = cache
        self._wake_sweep = wake_sweep

    async def __call__(self, message: Message) -> None:
        if not isinstance(message, GaroonHint):
            raise Poison(f"expected a GaroonHint, got {message.KIND}")
        view = await self._cache.get(message.tenant_id)
        actor = view.link_for_login(message.garoon_user)
        if actor is None and await self._store.user_links.by_garoon_login(
            message.tenant_id, message.garoon_user
        ):
            # A user linked moments ago is missing from a view read before the link: reload
            # it, or the hint would be dropped as "no linked user involved".
            self._cache.invalidate(message.tenant_id)
            view = await self._cache.get(message.tenant_id)
            actor = view.link_for_login(message.garoon_user)
        try:
            snap = await read_event(view, message.event_id)
            link = await owner_link(self._store, view, snap, actor)
            if link is None:
                log.debug(
                    "hint about an event no linked user takes part in",
                    extra={"tenant_id": message.tenant_id, "event_id": message.event_id},
                )
                return
            if await hidden_from_service(self._store, view, snap, link):
                return
            series_id = None
            if message.range in _SPLITS and not snap.deleted and snap.series_id is None:
                series_id = await split_origin(self._store, view, snap, link)
        except GaroonError as exc:
            raise bus_error(exc, tenant_id=message.tenant_id, what="read event") from exc
        await self._bus.publish(observation(snap, link, message.caused(), series_id=series_id))
        if message.action == "teams_meeting" and not snap.deleted:
            # Same id on redelivery, so a double-click or a retried hint asks only once.
            request = TeamsMeetingRequest(
                **message.caused(message_id=deterministic_id("teams", message.message_id)),
                user_link_id=link.id,
                garoon_event_id=message.event_id,
                invitees=list(message.invitees),
            )
            await self._bus.publish(request)
        kind = "deleted" if snap.deleted else message.action
        EVENTS_OBSERVED.labels("hint", kind).inc()
        if message.range in _SPLITS and self._wake_sweep is not None:
            # The series itself changed too: sweep the user soon rather than at the next turn.
            self._wake_sweep(link.id)
