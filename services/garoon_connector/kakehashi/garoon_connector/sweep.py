"""The reconciliation sweep: browser hints miss mobile, API and other integrations' writes
(fact sheet §4.2), so every linked user's window is re-listed regularly.

Per user: list `updatedAt desc` over [today, today + repeat window] (all pages, `hasNext`),
observe what changed since the stored watermark, then look for deletions by diffing the ids
listed against the user's mappings - through the engine's mass-delete guard, and each
candidate confirmed by a read before it is reported deleted (hints are not truth; nor is a
listing). Users are spread over the interval by a per-user offset so load stays smooth.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kakehashi.bus.api import Bus
from kakehashi.contracts.messages import Side
from kakehashi.contracts.state import HeldDeleteStatus, Mapping, MappingState, UserLink
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.guard import Listing, guard_deletes
from kakehashi.garoon_client import GaroonError
from kakehashi.garoon_connector.clients import ClientCache, TenantView, call
from kakehashi.garoon_connector.metrics import (
    EVENTS_OBSERVED,
    MASS_DELETE_BLOCKED,
    SWEEP_DURATION,
)
from kakehashi.garoon_connector.read import (
    hidden_from_service,
    observation,
    owner_link,
    parse_stamp,
    read_event,
)
from kakehashi.store import Store

log = logging.getLogger("kakehashi.garoon_connector")

WATERMARK = "garoon.watermark"


@dataclass(frozen=True)
class SweepReport:
    listed: int = 0  # distinct event ids in the window
    observed: int = 0  # observations published for changed events
    deleted: int = 0  # deletions confirmed and published
    ok: bool = True  # the listing succeeded and was complete
    blocked: str = ""  # why deletions were withheld ("" when they were not)


class Sweeper:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        cache: ClientCache,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval: float = 300.0,
    ) -> None:
        self.store = store
        self._bus = bus
        self._cache = cache
        self._clock = clock
        self.interval = interval
        self._woken: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._known: tuple[float, list[UserLink]] | None = None
        self.links_ttl = 60.0  # how long the list of linked users is reused between turns
        # Hints sent while the connector (or the ingress) was down are gone for good: Garoon
        # does not resend them. So the first turn after a start sweeps every user, spread over
        # this many seconds (at most the interval), instead of waiting for each user's slot.
        self.catch_up: float | None = 10.0

    # ------------------------------------------------------------------ one user
    async def sweep_user(
        self, link: UserLink, *, full: bool = False, envelope: dict[str, Any] | None = None
    ) -> SweepReport:
        """Sweep one user now. `full` observes every event in the window, not only the ones
        changed since the watermark (a resync). Raises GaroonError when a read fails after the
        listing (the watermark then stays where it was)."""
        started = time.perf_counter()
        try:
            return await self._sweep(link, full, envelope or {"tenant_id": link.tenant_id})
        finally:
            SWEEP_DURATION.observe(time.perf_counter() - started)

    async def _sweep(self, link: UserLink, full: bool, envelope: dict[str, Any]) -> SweepReport:
        view = await self._cache.get(link.tenant_id)
        decision = DecisionContext(
            tenant_id=link.tenant_id,
            clock=self._clock,
            translation=view.translation,
            policy=view.tenant.policy,
        )
        start, end = decision.window_start, decision.repeat_horizon
        # Read before listing: a mapping made while the listing runs has an event the listing
        # may not show yet, and must not be judged deleted by it.
        mappings = await self.store.mappings.list_for_user(link.id)
        rows: list[dict[str, Any]] = []
        error = ""
        try:
            uid = await view.user_id(link.garoon_login)
            if uid is None:
                raise LookupError(f"Garoon has no user {link.garoon_login!r}")
            rows = await call(
                "list_events",
                view.client.list_events(
                    target=uid,
                    target_type="user",
                    range_start=start,
                    range_end=end,
                    order_by="updatedAt desc",
                    show_private=True,  # stubs keep private events from looking deleted
                ),
            )
        except (GaroonError, LookupError) as exc:
            error = str(exc)
            log.warning(
                "sweep listing failed",
                extra={"user_link_id": link.id, "tenant_id": link.tenant_id, "error": error},
            )
        updated: dict[str, datetime | None] = {}
        for row in rows:
            if row.get("id") is None:
                continue
            eid, at = str(row["id"]), parse_stamp(row.get("updatedAt"))
            prev = updated.get(eid)
            updated[eid] = at if prev is None or (at is not None and at > prev) else prev
        observed = 0
        if not error:
            observed = await self._observe_changed(view, link, updated, full, envelope)
        listing = Listing(
            side=Side.GAROON,
            ids=frozenset(updated),
            ok=not error,
            complete=not error,
            error=error,
            window_start=start,
            window_end=end,
        )
        deleted, blocked = await self._deletions(view, link, listing, mappings, envelope)
        if not error:
            await self.store.user_links.touch_last_sync(link.id, self._clock())
        return SweepReport(len(updated), observed, deleted, not error, blocked)

    async def _observe_changed(
        self,
        view: TenantView,
        link: UserLink,
        updated: dict[str, datetime | None],
        full: bool,
        envelope: dict[str, Any],
    ) -> int:
        raw = None if full else await self.store.poll_cursors.get(link.id, WATERMARK)
        mark: dict[str, Any] = json.loads(raw) if raw else {}
        mark_at = parse_stamp(mark.get("at"))
        mark_ids = set(mark.get("ids") or ())
        changed = [
            eid
            for eid, at in updated.items()
            if at is not None
            and (mark_at is None or at > mark_at or (at == mark_at and eid not in mark_ids))
        ]
        for eid in changed:
            await self._publish(view, link, eid, envelope, "sweep")
        stamps = [at for at in updated.values() if at is not None]
        if stamps:
            top = max(stamps)
            if mark_at is None or top >= mark_at:
                ids = {e for e, at in updated.items() if at == top}
                if mark_at == top:
                    ids |= mark_ids
                new = {"at": top.isoformat(), "ids": sorted(ids)}
                await self.store.poll_cursors.set(link.id, WATERMARK, json.dumps(new))
        return len(changed)

    async def _deletions(
        self,
        view: TenantView,
        link: UserLink,
        listing: Listing,
        mappings: list[Mapping],
        envelope: dict[str, Any],
    ) -> tuple[int, str]:
        trusted = listing.ok and listing.complete
        held = await self.store.held_deletes.get(link.id, Side.GAROON.value)
        # A batch an administrator confirmed passes the guard, once; everything else is
        # still judged by it. A failed listing proves nothing, not even for confirmed ids.
        confirmed: set[str] = set()
        if trusted and held is not None and held.status == HeldDeleteStatus.CONFIRMED:
            confirmed = set(held.mapping_ids)
        # Propagated already: until the translator tombstones them, they are not held again.
        applied = set()
        if held is not None and held.status == HeldDeleteStatus.APPLIED:
            applied = set(held.mapping_ids)
        policy = view.tenant.policy
        rest = [m for m in mappings if m.id not in confirmed and m.id not in applied]
        verdict = guard_deletes(rest, listing, policy)
        approved = guard_deletes([m for m in mappings if m.id in confirmed], listing, policy)
        deletes = list(approved.deletes) if confirmed else []
        live = [m for m in mappings if m.state == MappingState.ACTIVE and m.garoon_id]
        if not verdict.allowed and live:
            MASS_DELETE_BLOCKED.labels(Side.GAROON.value).inc()
            log.warning(
                "mass-delete guard: deletions withheld for this sweep",
                extra={
                    "user_link_id": link.id,
                    "tenant_id": link.tenant_id,
                    "reason": verdict.reason,
                    "withheld": len(verdict.deletes),
                },
            )
        elif verdict.allowed:
            deletes += verdict.deletes
        by_id = {m.id: m for m in mappings}
        deleted = 0
        for mapping_id in deletes:
            garoon_id = by_id[mapping_id].garoon_id
            if garoon_id and await self._publish(view, link, garoon_id, envelope, "sweep-gone"):
                deleted += 1
        if held is not None and confirmed:
            done = held.model_copy(
                update={"status": HeldDeleteStatus.APPLIED, "applied_at": self._clock()}
            )
            await self.store.held_deletes.compare_and_set(done, held.revision)
        if not verdict.allowed and trusted and verdict.deletes:
            # Only a listing that worked can show a batch worth reviewing; a failed one is
            # retried by the next sweep.
            await self.store.held_deletes.hold(
                tenant_id=link.tenant_id,
                user_link_id=link.id,
                side=Side.GAROON.value,
                mapping_ids=list(verdict.deletes),
                reason=verdict.reason,
                now=self._clock(),
            )
        return deleted, "" if verdict.allowed else verdict.reason

    async def _publish(
        self, view: TenantView, link: UserLink, event_id: str, envelope: dict[str, Any], src: str
    ) -> bool:
        """Read, observe; True when the event turned out to be deleted."""
        snap = await read_event(view, event_id)
        owner = await owner_link(self.store, view, snap, link)
        if owner is None or await hidden_from_service(self.store, view, snap, owner):
            return False
        await self._bus.publish(observation(snap, owner, dict(envelope)))
        EVENTS_OBSERVED.labels(src, "deleted" if snap.deleted else "event").inc()
        return snap.deleted

    # ------------------------------------------------------------------ background
    def wake(self, link_id: str) -> None:
        """Sweep this user at the loop's next turn instead of at its slot."""
        self._woken.add(link_id)
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="garoon-sweep")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _offset(self, link_id: str, *, first: bool = False) -> float:
        # Stable per user, so a restart keeps the spread.
        share = int(hashlib.sha256(link_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        if first and self.catch_up is not None:
            return share * min(self.catch_up, self.interval)
        return share * self.interval

    async def _links(self) -> list[UserLink]:
        # Each user's turn would otherwise re-read every link: cache the list briefly.
        if self._known is not None and time.monotonic() - self._known[0] < self.links_ttl:
            return self._known[1]
        links: list[UserLink] = []
        for tenant in await self.store.tenants.list():
            if tenant.garoon is not None:
                links += await self.store.user_links.list(tenant.id, enabled_only=True)
        self._known = (time.monotonic(), links)
        return links

    async def _run(self) -> None:
        due: dict[str, float] = {}
        started = False  # links known at the first turn are caught up (`catch_up`)
        while True:
            woken, self._woken = self._woken, set()
            self._wake.clear()
            if self._known is not None and woken - {link.id for link in self._known[1]}:
                self._known = None  # a user linked since the last read asks for a sweep
            try:
                links = await self._links()
            except Exception as exc:  # store down: try again next turn
                log.warning("sweep: cannot list user links", extra={"error": str(exc)})
                links = []
            now = time.monotonic()
            due = {
                link.id: due.get(link.id, now + self._offset(link.id, first=not started))
                for link in links
            }
            started = True
            for link in links:
                if link.id not in woken and due[link.id] > time.monotonic():
                    continue
                try:
                    await self.sweep_user(link)
                except Exception as exc:
                    log.warning("sweep failed", extra={"user_link_id": link.id, "error": str(exc)})
                due[link.id] = time.monotonic() + self.interval
            wait = min(due.values(), default=time.monotonic() + self.interval) - time.monotonic()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, min(wait, self.interval)))
