"""Convergence of one user's calendars: missing, differing and duplicated events (pure code).

Both sides are compared occurrence by occurrence inside a window (Garoon lists a series once per
occurrence, Graph's calendarView does the same), after the engine's translation into the
normalized event. "Differing" is judged over the fields both sides express: title, start, end,
all-day, private, menu/category, location, memo/body, company info, linked participants and
facilities/rooms. Responses, reminders and anything only one side has are not compared.

Pairing needs no ids from either side: first by identical content, then by the same time slot,
then by the same title, so an edit that did not arrive shows up as "differing" rather than as
a missing event plus an extra one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kakehashi.contracts.event import NormalizedEvent

FIELDS = (
    "title",
    "start",
    "end",
    "all_day",
    "private",
    "category",
    "location",
    "body",
    "company",
    "people",
    "facilities",
)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence as read from one side: its id there and the compared fields."""

    side: str  # "garoon" or "graph"
    id: str
    fields: tuple[tuple[str, Any], ...]

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.fields)

    @property
    def slot(self) -> tuple[Any, Any]:
        v = self.values
        return v["start"], v["end"]

    def brief(self) -> dict[str, Any]:
        v = self.values
        return {"id": self.id, "title": v["title"], "start": v["start"], "end": v["end"]}


def occurrence(
    side: str, event_id: str, ev: NormalizedEvent, owner: str | None = None
) -> Occurrence:
    """`owner`: the mailbox read, for Graph; on an attendee's copy of a meeting the
    categories are that attendee's own (Exchange does not copy them), so they are not compared."""
    people = [*([ev.organizer] if ev.organizer else []), *ev.attendees]
    values = {
        "title": ev.title.strip(),
        "start": _utc(ev.start),
        "end": _utc(ev.end),
        "all_day": ev.all_day,
        "private": ev.visibility.value == "private",
        "category": ev.category,
        "location": ev.location.strip(),
        "body": " ".join(ev.body.split()),
        "company": tuple(sorted((k, v) for k, v in ev.company.model_dump().items() if v)),
        "people": tuple(sorted({p.email for p in people if p.linked and p.email})),
        "facilities": tuple(
            sorted({f.room_email or f.garoon_code or f.name for f in ev.facilities})
        ),
    }
    organizer = ev.organizer.email if ev.organizer else None
    if side == "graph" and owner and organizer and organizer != owner.lower():
        values["category"] = None  # None: not compared
    return Occurrence(side, event_id, tuple((name, values[name]) for name in FIELDS))


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


@dataclass
class UserReport:
    user: str
    email: str
    garoon_events: int = 0
    graph_events: int = 0
    missing_in_graph: list[dict[str, Any]] = field(default_factory=list)
    missing_in_garoon: list[dict[str, Any]] = field(default_factory=list)
    differing: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    unreadable: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.missing_in_graph
            or self.missing_in_garoon
            or self.differing
            or self.duplicates
            or self.unreadable
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "email": self.email,
            "clean": self.clean,
            "garoon_events": self.garoon_events,
            "graph_events": self.graph_events,
            "missing_in_graph": self.missing_in_graph,
            "missing_in_garoon": self.missing_in_garoon,
            "differing": self.differing,
            "duplicates": self.duplicates,
            "unreadable": self.unreadable,
        }


def compare(report: UserReport, garoon: list[Occurrence], graph: list[Occurrence]) -> UserReport:
    report.garoon_events, report.graph_events = len(garoon), len(graph)
    for side in (garoon, graph):
        report.duplicates += _duplicates(side)
    left, right = _dedupe(garoon), _dedupe(graph)
    # Pass 1: identical content; pass 2: same slot; pass 3: same title (moved in time).
    for key in (lambda o: o.fields, lambda o: o.slot, lambda o: o.values["title"]):
        for g, m in _pair(left, right, key):
            if _differing_fields(g, m):
                report.differing.append(_difference(g, m))
    report.missing_in_graph += [o.brief() for o in left]
    report.missing_in_garoon += [o.brief() for o in right]
    return report


def _duplicates(items: list[Occurrence]) -> list[dict[str, Any]]:
    groups: dict[tuple[tuple[str, Any], ...], list[Occurrence]] = defaultdict(list)
    for o in items:
        groups[o.fields].append(o)
    return [
        {"side": group[0].side, "ids": [o.id for o in group], **_title_slot(group[0])}
        for group in groups.values()
        if len(group) > 1
    ]


def _dedupe(items: list[Occurrence]) -> list[Occurrence]:
    """One of each identical group takes part in pairing; the rest are reported duplicates."""
    seen: set[tuple[tuple[str, Any], ...]] = set()
    out = []
    for o in items:
        if o.fields not in seen:
            seen.add(o.fields)
            out.append(o)
    return out


def _pair(
    left: list[Occurrence], right: list[Occurrence], key: Any
) -> list[tuple[Occurrence, Occurrence]]:
    """Pair items whose key is unique on both sides; paired items leave both lists."""
    lk, rk = Counter(key(o) for o in left), Counter(key(o) for o in right)
    by_key = {key(o): o for o in right if rk[key(o)] == 1}
    pairs = []
    for o in list(left):
        k = key(o)
        if lk[k] == 1 and k in by_key:
            m = by_key.pop(k)
            pairs.append((o, m))
            left.remove(o)
            right.remove(m)
    return pairs


def _differing_fields(g: Occurrence, m: Occurrence) -> list[str]:
    gv, mv = g.values, m.values
    return [n for n in FIELDS if gv[n] is not None and mv[n] is not None and gv[n] != mv[n]]


def _difference(g: Occurrence, m: Occurrence) -> dict[str, Any]:
    gv, mv = g.values, m.values
    return {
        "garoon_id": g.id,
        "graph_id": m.id,
        **_title_slot(g),
        "fields": {n: {"garoon": gv[n], "graph": mv[n]} for n in _differing_fields(g, m)},
    }


def _title_slot(o: Occurrence) -> dict[str, Any]:
    v = o.values
    return {"title": v["title"], "start": v["start"]}
