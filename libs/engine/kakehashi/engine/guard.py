"""The mass-delete guard the sweep uses (complaint 12, vdirsyncer's StorageEmpty).

A copy missing from a listing is only a delete when the listing is trustworthy: it
succeeded, it is complete, it is not suddenly empty, and the deletes stay under the
tenant's threshold. Otherwise nothing is deleted and the verdict says why (alert on it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from kakehashi.contracts.messages import Side
from kakehashi.contracts.state import Mapping, MappingState, SyncPolicy
from kakehashi.engine.decision import record_of


@dataclass(frozen=True)
class Listing:
    """What a sweep read for one user on one side, inside [window_start, window_end)."""

    side: Side
    ids: frozenset[str] = field(default_factory=frozenset)
    ok: bool = True
    complete: bool = True  # every page read (no truncation, no hasNext left)
    error: str = ""
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class GuardVerdict:
    allowed: bool
    deletes: tuple[str, ...]  # mapping ids whose copy on `side` vanished
    reason: str


def _in_listing_window(m: Mapping, listing: Listing) -> bool:
    # Consult the record, not the current window: a copy that merely left it is not deleted.
    base = m.base
    if base is None or base.start is None or base.end is None or base.recurrence is not None:
        return base is not None
    if listing.window_start and base.end <= listing.window_start:
        return False
    return not (listing.window_end and base.start >= listing.window_end)


def guard_deletes(
    mappings: Iterable[Mapping], listing: Listing, policy: SyncPolicy
) -> GuardVerdict:
    live = [
        m
        for m in mappings
        if m.state == MappingState.ACTIVE and record_of(m, listing.side).id is not None
    ]
    missing = tuple(
        sorted(
            m.id
            for m in live
            if record_of(m, listing.side).id not in listing.ids and _in_listing_window(m, listing)
        )
    )
    if not listing.ok:
        return GuardVerdict(False, missing, f"listing failed: {listing.error or 'unknown error'}")
    if not listing.complete:
        return GuardVerdict(False, missing, "listing truncated: some pages were not read")
    if not listing.ids and live:
        return GuardVerdict(False, missing, f"listing empty while {len(live)} mapped events exist")
    if len(missing) > policy.mass_delete_threshold:
        return GuardVerdict(
            False,
            missing,
            f"{len(missing)} deletes exceed the threshold of {policy.mass_delete_threshold}",
        )
    return GuardVerdict(True, missing, f"{len(missing)} deletes allowed")
