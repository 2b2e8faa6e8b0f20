"""What each side carries in the Kakehashi block, and reading it back."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kakehashi.contracts.event import CompanyInfo, Facility, NormalizedEvent, Person

_ANGLE = re.compile(r"^(.*?)\s*<([^<>]+)>$")
_PAREN = re.compile(r"^(.*?)\s*\(([^()]+)\)$")
_BRACKET = re.compile(r"^(.*?)\s*\[([^\[\]]+)\]$")
_COMPANY = [
    ("Company", "name"),
    ("Zip", "zip_code"),
    ("Route", "route"),
    ("Route time", "route_time"),
    ("Route fare", "route_fare"),
    ("Phone", "phone"),
]


def graph_block(ev: NormalizedEvent) -> list[tuple[str, str]]:
    """Items Graph has no field for: company info, Garoon-only people and facilities."""
    items = [(label, getattr(ev.company, f)) for label, f in _COMPANY if getattr(ev.company, f)]
    for p in ev.attendees:
        if p.garoon_login and not p.email:
            items.append(("Participant", f"{p.name} ({p.garoon_login})".strip()))
    for f in ev.facilities:
        if f.garoon_code and not f.room_email:
            items.append(("Facility", f"{f.name} [{f.garoon_code}]".strip()))
    return items


def garoon_block(ev: NormalizedEvent) -> list[tuple[str, str]]:
    """Items Garoon has no field for: outside e-mail participants, rooms, the Teams link."""
    items = []
    for p in ev.attendees:
        if p.email and not p.garoon_login:
            items.append(("Participant", f"{p.name} <{p.email}>".strip()))
    for f in ev.facilities:
        if f.room_email and not f.garoon_code:
            items.append(("Facility", f"{f.name} <{f.room_email}>".strip()))
    if ev.join_url:
        items.append(("Teams", ev.join_url))
    return items


@dataclass
class BlockParts:
    company: CompanyInfo = field(default_factory=CompanyInfo)
    people: list[Person] = field(default_factory=list)
    facilities: list[Facility] = field(default_factory=list)
    join_url: str | None = None


def read_block(items: list[tuple[str, str]]) -> BlockParts:
    parts = BlockParts()
    company: dict[str, str] = {}
    labels = dict(_COMPANY)
    for key, value in items:
        if key in labels:
            company[labels[key]] = value
        elif key == "Participant":
            if m := _ANGLE.match(value):
                parts.people.append(Person(name=m[1], email=m[2]))
            elif m := _PAREN.match(value):
                parts.people.append(Person(name=m[1], garoon_login=m[2]))
        elif key == "Facility":
            if m := _ANGLE.match(value):
                parts.facilities.append(Facility(name=m[1], room_email=m[2]))
            elif m := _BRACKET.match(value):
                parts.facilities.append(Facility(name=m[1], garoon_code=m[2]))
        elif key == "Teams":
            parts.join_url = value
    parts.company = CompanyInfo(**company)
    return parts
