"""The normalized event: one calendar event as both sides can express it.

Grown by the sync-engine work; kept free of any Garoon or Graph wire shape. It travels in
messages and is the merge base stored in mappings, so it is frozen and JSON-serialisable.
Collections are tuples kept in a canonical order, so equal content means equal models.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class Response(StrEnum):
    NONE = "none"
    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class Weekday(StrEnum):
    MO = "MO"
    TU = "TU"
    WE = "WE"
    TH = "TH"
    FR = "FR"
    SA = "SA"
    SU = "SU"

    @property
    def number(self) -> int:
        """Monday = 0, like `date.weekday()`."""
        return list(Weekday).index(self)


class Frequency(StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY_DAY = "monthly-day"  # day N of the month (-1 = end of month)
    MONTHLY_WEEKDAY = "monthly-weekday"  # 1st..4th / last weekday W
    YEARLY_DAY = "yearly-day"  # month M, day N
    YEARLY_WEEKDAY = "yearly-weekday"  # month M, nth weekday W
    # A source rule this model cannot read (e.g. an unknown Garoon repeat type): never
    # synced, never written; the engine records it as "unexpressible-repeat".
    UNKNOWN = "unknown"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Recurrence(_Frozen):
    """One normalized repeat rule. Occurrence times come from the event's start/end."""

    frequency: Frequency
    interval: int = Field(default=1, ge=1, le=99)
    weekdays: tuple[Weekday, ...] = ()
    week_of_month: int | None = Field(default=None, description="1..4, or -1 for last")
    day_of_month: int | None = Field(default=None, description="1..31, or -1 for end of month")
    month: int | None = Field(default=None, ge=1, le=12)
    start_date: date
    until: date | None = Field(default=None, description="Last possible date, inclusive")
    count: int | None = Field(default=None, ge=1)
    excluded: tuple[date, ...] = Field(default=(), description="Deleted occurrences")
    overridden: tuple[date, ...] = Field(
        default=(), description="Occurrences edited on their own (synced as separate events)"
    )

    @field_validator("weekdays")
    @classmethod
    def _sort_days(cls, v: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        return tuple(sorted(set(v), key=lambda d: d.number))

    @field_validator("excluded", "overridden")
    @classmethod
    def _sort_dates(cls, v: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(v)))


class Person(_Frozen):
    """A participant. Linked users carry both keys; unlinked ones only what their side knows."""

    garoon_login: str | None = None
    email: str | None = None
    name: str = ""
    response: Response = Response.NONE
    comment: str = Field(default="", description="The person's own reply comment (Garoon only)")

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        return v.lower() if v else v

    @property
    def key(self) -> str:
        return f"{self.garoon_login or ''}|{self.email or ''}"

    @property
    def linked(self) -> bool:
        return bool(self.garoon_login and self.email)


class Facility(_Frozen):
    """A Garoon facility and/or the Exchange room mailbox it maps to."""

    garoon_code: str | None = None
    room_email: str | None = None
    name: str = ""

    @property
    def key(self) -> str:
        return f"{self.garoon_code or ''}|{self.room_email or ''}"


class CompanyInfo(_Frozen):
    """Garoon 会社情報 except the address, which is the event location."""

    name: str = ""
    zip_code: str = ""
    route: str = ""
    route_time: str = ""
    route_fare: str = ""
    phone: str = ""

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


class SourceVersions(_Frozen):
    """Volatile bookkeeping: never hashed, never merged."""

    garoon: str | None = None
    graph: str | None = None
    modified_at: datetime | None = None


class NormalizedEvent(_Frozen):
    title: str = ""
    body: str = Field(default="", description="Plain text, without the Kakehashi block")
    start: datetime | None = None
    end: datetime | None = Field(default=None, description="Exclusive; midnight after for all-day")
    timezone: str = Field(default="UTC", description="IANA zone the event was entered in")
    all_day: bool = False
    banner: bool = Field(default=False, description="Garoon ALL_DAY multi-day banner (期間予定)")
    visibility: Visibility = Visibility.PUBLIC
    category: str = Field(default="", description="Garoon schedule menu name; '' for none")
    organizer: Person | None = None
    attendees: tuple[Person, ...] = Field(default=(), description="Without the organizer")
    facilities: tuple[Facility, ...] = ()
    location: str = ""
    company: CompanyInfo = Field(default_factory=CompanyInfo)
    join_url: str | None = None
    attendance_check: bool = False
    recurrence: Recurrence | None = None
    original_start: datetime | None = Field(
        default=None, description="For a single edited occurrence: the slot it replaced"
    )
    versions: SourceVersions = Field(default_factory=SourceVersions)

    @field_validator("start", "end", "original_start")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.utcoffset() is None:
            raise ValueError("datetimes must be timezone-aware")
        return v

    @field_validator("attendees")
    @classmethod
    def _sort_people(cls, v: tuple[Person, ...]) -> tuple[Person, ...]:
        return tuple(sorted(v, key=lambda p: (p.key, p.name)))

    @field_validator("facilities")
    @classmethod
    def _sort_facilities(cls, v: tuple[Facility, ...]) -> tuple[Facility, ...]:
        return tuple(sorted(v, key=lambda f: (f.key, f.name)))


__all__ = [
    "CompanyInfo",
    "Facility",
    "Frequency",
    "NormalizedEvent",
    "Person",
    "Recurrence",
    "Response",
    "SourceVersions",
    "Visibility",
    "Weekday",
]
