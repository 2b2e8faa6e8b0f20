"""Reading events from Graph into observations: hint -> what the mailbox really holds.

A series is observed the way the engine models it (engine/translate/graph.py): the master
carries the rule with `excluded` (cancelled occurrences) and `overridden` (edited occurrences)
dates, and every edited occurrence (`exception`) is observed on its own with `series_id` and
`original_start`. Graph returns `cancelledOccurrences` / `exceptionOccurrences` only when asked
for explicitly (and the simulator not at all), so both are derived from the master's rule and
its `instances` whenever the master does not carry them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.engine import recurrence, timezones
from kakehashi.engine.translate import graph as graph_translate
from kakehashi.graph_client import NotFound, tag_value
from kakehashi.graph_connector.mailbox import TAG_ID, Mailbox, event_missing

JSON = dict[str, Any]
# How far back a series' instances are read, so the master's excluded dates do not shrink to
# the window (a shrunken set would look like an edit that restores the occurrences).
SERIES_LOOKBACK = timedelta(days=366)
# Exceptions may have been moved a little outside the window; read a margin around it.
SERIES_MARGIN = timedelta(days=7)
_FRACTION = re.compile(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$")


@dataclass(frozen=True)
class Seen:
    """One event as read (raw Graph JSON), or its absence."""

    source_id: str
    raw: JSON | None = None
    event: NormalizedEvent | None = None
    series_id: str | None = None
    deleted: bool = False

    @property
    def version(self) -> str | None:
        return None if self.raw is None else _str(self.raw.get("changeKey"))

    @property
    def ical_uid(self) -> str | None:
        return None if self.raw is None else _str(self.raw.get("iCalUId"))

    @property
    def modified_at(self) -> str | None:
        return None if self.raw is None else _str(self.raw.get("lastModifiedDateTime"))

    @property
    def is_organizer_copy(self) -> bool:
        return True if self.raw is None else self.raw.get("isOrganizer") is not False

    @property
    def tag(self) -> str | None:
        return None if self.raw is None else tag_value(self.raw, TAG_ID)


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def gone(event_id: str, raw: JSON | None = None) -> Seen:
    return Seen(source_id=event_id, raw=raw, deleted=True)


async def read(mb: Mailbox, event_id: str) -> list[Seen]:
    """Everything one event id stands for: a single event, or a whole series (master and
    exceptions). A missing or cancelled event is a deletion."""
    try:
        raw = await mb.client.get_event(mb.user, event_id, expand_tag=TAG_ID)
    except NotFound as exc:
        if not event_missing(exc):
            raise
        return [gone(event_id)]
    return await from_raw(mb, raw)


async def from_raw(mb: Mailbox, raw: JSON) -> list[Seen]:
    event_id = str(raw["id"])
    if raw.get("isCancelled"):
        return [gone(event_id, raw)]  # an attendee's copy of a cancelled meeting
    kind = raw.get("type")
    master_id = raw.get("seriesMasterId")
    if kind in ("occurrence", "exception") and master_id:
        seen = await read(mb, str(master_id))
        if kind == "exception" and not any(s.source_id == event_id for s in seen):
            seen.append(_exception(mb, raw, str(master_id)))  # moved outside the read range
        return seen
    if kind == "seriesMaster":
        return await read_series(mb, raw)
    return [Seen(event_id, raw, graph_translate.from_graph(raw, mb.translation))]


def _exception(mb: Mailbox, raw: JSON, master_id: str) -> Seen:
    return Seen(
        str(raw["id"]), raw, graph_translate.from_graph(raw, mb.translation), series_id=master_id
    )


async def read_series(mb: Mailbox, master: JSON) -> list[Seen]:
    master_id = str(master["id"])
    plain = graph_translate.from_graph(_without_overrides(master), mb.translation)
    assert plain.start is not None
    window_start, horizon = mb.window()
    lo = max(plain.start, window_start - SERIES_LOOKBACK)
    hi = horizon
    instances = (
        await mb.client.instances(mb.user, master_id, lo - SERIES_MARGIN, hi + SERIES_MARGIN)
        if lo < hi
        else []
    )
    exceptions = [i for i in instances if i.get("type") == "exception"]
    enriched = dict(master)
    if "cancelledOccurrences" not in master or "exceptionOccurrences" not in master:
        enriched.update(_derived_overrides(plain, instances, lo, hi))
        enriched = await _with_older_overrides(mb, enriched, plain, lo)
    out = [Seen(master_id, master, graph_translate.from_graph(enriched, mb.translation))]
    out += [_exception(mb, raw, master_id) for raw in exceptions]
    return out


async def _with_older_overrides(
    mb: Mailbox, enriched: JSON, plain: NormalizedEvent, lo: datetime
) -> JSON:
    """Carry over the excluded/overridden dates before `lo` from what we last synced.

    They are outside what we read, and dropping them would look like a user restoring those
    occurrences; what we last knew is the best statement about them.
    """
    uid = enriched.get("iCalUId")
    if not uid:
        return enriched
    mapping = await mb.store.mappings.by_ical_uid(mb.tenant.id, str(uid))
    known = mapping.graph.snapshot if mapping is not None else None
    if known is None or known.recurrence is None:
        return enriched
    before = timezones.local_date(lo, plain.timezone)
    out = dict(enriched)
    out["cancelledOccurrences"] = [
        *(f"OID.{d.isoformat()}" for d in known.recurrence.excluded if d < before),
        *enriched.get("cancelledOccurrences", []),
    ]
    out["exceptionOccurrences"] = [
        *(
            {"originalStart": timezones.local_midnight(d, plain.timezone).isoformat()}
            for d in known.recurrence.overridden
            if d < before
        ),
        *enriched.get("exceptionOccurrences", []),
    ]
    return out


def _without_overrides(master: JSON) -> JSON:
    return {
        k: v for k, v in master.items() if k not in ("cancelledOccurrences", "exceptionOccurrences")
    }


def _derived_overrides(
    plain: NormalizedEvent, instances: list[JSON], lo: datetime, hi: datetime
) -> JSON:
    """cancelledOccurrences / exceptionOccurrences from the rule and the instances in [lo, hi).

    Dates are the local dates in the series' zone, which is how the engine keys occurrences
    (it reads the last 10 characters of a cancelled entry and the first 10 of originalStart,
    so originalStart is written with the zone's offset, not in UTC).
    """
    tz = plain.timezone
    present: set[datetime] = set()
    for item in instances:
        original = parse_time(item.get("originalStart")) or parse_time(_wall_start(item))
        if original is not None:
            present.add(original)
    cancelled = []
    for start, _ in recurrence.expand(plain, lo, hi):
        if start not in present:
            cancelled.append(f"OID.{timezones.local_date(start, tz).isoformat()}")
    overridden = []
    for item in instances:
        original = parse_time(item.get("originalStart"))
        if item.get("type") == "exception" and original is not None:
            local = original.astimezone(timezones.zone(tz))
            overridden.append({"originalStart": local.isoformat()})
    return {"cancelledOccurrences": cancelled, "exceptionOccurrences": overridden}


def _wall_start(item: JSON) -> str | None:
    start = item.get("start")
    if isinstance(start, dict) and start.get("timeZone") in ("UTC", "Etc/UTC"):
        return str(start.get("dateTime")) + "Z"
    return None


def parse_time(value: Any) -> datetime | None:
    """An ISO time from Graph (7 fractional digits, Z or offset) as an aware datetime."""
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    match = _FRACTION.match(text)
    if match:
        text = match[1] + (match[2] or "")[:7] + match[3]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezones.zone("UTC"))
