"""In-memory data model: directory objects, events, repeat rules and the simulator switches."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from typing import Any

EVENT_TYPES = ("REGULAR", "REPEATING", "ALL_DAY")

# SOAP repeat condition types (canonical lowercase wire names).
REPEAT_TYPES = (
    "day",
    "weekday",
    "week",
    "once_every_two_weeks",
    "once_every_three_weeks",
    "1stweek",
    "2ndweek",
    "3rdweek",
    "4thweek",
    "lastweek",
    "month",
)
EOM = -1  # internal marker for "end of month" in RepeatRule.day


@dataclass
class User:
    id: int
    code: str
    name: str
    password: str = "password"
    email: str = ""


@dataclass
class Organization:
    id: int
    code: str
    name: str
    members: list[int] = field(default_factory=list)
    parent_id: int | None = None


@dataclass
class Facility:
    id: int
    code: str
    name: str
    notes: str = ""


@dataclass
class Member:
    """An attendee: a user or an organization, with its attendance response."""

    type: str  # USER | ORGANIZATION
    id: int
    status: str = "PENDING"
    comment: str = ""


@dataclass
class RepeatRule:
    type: str  # one of REPEAT_TYPES
    start_date: date
    end_date: date
    start_time: time | None = None  # None: all-day series
    end_time: time | None = None  # None with a start_time: start-only series
    week: int | None = None  # 0 = Sunday .. 6 = Saturday
    day: int | None = None  # 1..31 or EOM
    # Removed or split-off occurrences as (start, end) in the event's zone (whole-day spans).
    exclusions: list[tuple[datetime, datetime]] = field(default_factory=list)


@dataclass
class Event:
    id: int
    event_type: str
    start: datetime  # aware; for REPEATING the first occurrence
    end: datetime | None
    start_tz: str
    end_tz: str
    creator: int
    created_at: datetime
    updated_at: datetime
    updater: int
    version: int
    menu: str = ""
    subject: str = ""
    notes: str = ""
    visibility: str = "PUBLIC"
    use_attendance_check: bool = False
    company_info: dict[str, str] = field(default_factory=dict)
    is_all_day: bool = False
    is_start_only: bool = False
    attendees: list[Member] = field(default_factory=list)
    facilities: list[int] = field(default_factory=list)
    watchers: list[Member] = field(default_factory=list)
    facility_using_purpose: str = ""
    repeat: RepeatRule | None = None
    datastore: dict[str, Any] = field(default_factory=dict)

    def clone(self) -> Event:
        return copy.deepcopy(self)


@dataclass
class Occurrence:
    event: Event
    start: datetime
    end: datetime | None

    @property
    def effective_end(self) -> datetime:
        return self.end if self.end is not None else self.start


@dataclass
class Settings:
    """Switches for behaviour the fact sheet marks [unverified], plus fidelity knobs."""

    # Listing: "overlap" (event overlaps the range) or "start" (event starts inside it).
    range_mode: str = "overlap"
    default_order_by: str = "updatedAt asc"
    # Only attendees may edit/delete; False lets anyone who can view an event edit it.
    edit_requires_attendance: bool = True
    # Site option "hide private events completely": omitted even with showPrivate=true.
    hide_private_completely: bool = False
    reject_unknown_menu: bool = False
    patch_requires_start: bool = True
    # SOAP month-repeat end-of-month day value (fact sheet: believed to be 0).
    soap_eom_day: int = 0
    # REST repeatInfo.type names for the 2- and 3-weekly repeats (no source names them).
    rest_every_two_weeks: str = "EVERY_TWO_WEEKS"
    rest_every_three_weeks: str = "EVERY_THREE_WEEKS"
    # Monthly day N in a shorter month: "skip" the month or "clamp" to its last day.
    month_day_overflow: str = "skip"
    # Hints for a split ("this"/"after") edit carry the "new" event id or the "original" one.
    hint_split_event_id: str = "new"
    # Package version like "5.5", "5.9", "5.15"; None means cloud (all JS events exist).
    package_version: str | None = None
    drop_hints: bool = False
    duplicate_hints: bool = False
    hint_delay_seconds: float = 0.0
    # Two writes within one second still get different updatedAt values (the later one is
    # pushed forward a second). False keeps plain wall-clock seconds, which can repeat.
    strictly_increasing_timestamps: bool = True
    # Series without an end date are capped this many days after the start.
    repeat_default_days: int = 365

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise KeyError(key)
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
