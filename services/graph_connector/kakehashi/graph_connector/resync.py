"""ResyncRequest -> calendarView delta over the user's window -> observations.

The deltaLink is stored (with the window it was made for) only after every observation of the
round is published, so a crash repeats the round instead of skipping it; repeated observations
are harmless (deterministic message ids, echo rules). A new day means a new window, and a delta
token carries its window, so the round starts over with a full snapshot then.

Delta items are not used as content: they lack our extended property, occurrences come back
thin, and an `@removed` also covers events that merely left the window. Every changed id is
read again (hints are not truth); a removed id that still exists is observed as it is, not as
deleted, and only a 404 makes a deletion.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from kakehashi.contracts.state import MappingState
from kakehashi.graph_client import DeltaExpired
from kakehashi.graph_connector.mailbox import Mailbox
from kakehashi.graph_connector.read import Seen, read
from kakehashi.store import Store

log = logging.getLogger("kakehashi.graph_connector")
JSON = dict[str, Any]
DELTA_NAME = "calendarView"
READ_CONCURRENCY = 4  # the client's per-mailbox limit; more would only queue there


async def resync(mb: Mailbox, store: Store, publish: Callable[[Seen, str], Awaitable[None]]) -> int:
    """One delta round for the mailbox; returns the number of observations published.

    `publish` gets each observation and the round's key: the window for a full snapshot (a new
    day, a new policy), so an event nobody changed is observed anew for that window (an
    exploded series then brings in the occurrences that entered it), and '' for an
    incremental round, whose observations are the same messages as the hints' before it."""
    start, end = mb.window()
    window = {"start": start.isoformat(), "end": end.isoformat()}
    stored = await store.delta_links.get(mb.link.id, DELTA_NAME)
    link: str | None = None
    if stored:
        try:
            saved = json.loads(stored)
        except ValueError:
            saved = {}
        if isinstance(saved, dict) and {k: saved.get(k) for k in window} == window:
            link = saved.get("link")
    try:
        items, new_link = await mb.client.calendar_view_delta(mb.user, start, end, link)
    except DeltaExpired:
        log.warning("delta token expired: full resync", extra={"user_link_id": mb.link.id})
        await store.delta_links.delete(mb.link.id, DELTA_NAME)
        link = None
        items, new_link = await mb.client.calendar_view_delta(mb.user, start, end, None)
    seen = await _read_items(mb, store, items)
    round_key = "" if link else f"{window['start']}/{window['end']}"
    for one in seen:
        await publish(one, round_key)
    await store.delta_links.set(mb.link.id, DELTA_NAME, json.dumps({**window, "link": new_link}))
    return len(seen)


async def _read_items(mb: Mailbox, store: Store, items: list[JSON]) -> list[Seen]:
    reads: dict[str, bool] = {}  # id -> removed?
    for item in items:
        item_id = str(item.get("id") or "")
        if not item_id:
            continue
        if "@removed" in item:
            reads.setdefault(item_id, True)
        elif item.get("seriesMasterId") and item.get("type") in ("occurrence", "exception"):
            reads[str(item["seriesMasterId"])] = False  # thin: the master has the content
        else:
            reads[item_id] = False
    if any(reads.values()):
        # Occurrence removals name occurrence ids only; a deleted series shows up that way.
        for mapping in await store.mappings.list_for_user(mb.link.id):
            snap = mapping.graph.snapshot
            active = mapping.state == MappingState.ACTIVE
            if active and mapping.graph.id and snap is not None and snap.recurrence:
                reads.setdefault(mapping.graph.id, False)
    gate = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(event_id: str) -> list[Seen]:
        # A removed id reads the same way: missing is a deletion, found has left the window.
        async with gate:
            return await read(mb, event_id)

    batches = await asyncio.gather(*(one(i) for i in reads))
    unique: dict[str, Seen] = {}
    for batch in batches:
        for s in batch:
            unique[s.source_id] = s
    return list(unique.values())
