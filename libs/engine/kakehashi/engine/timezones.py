"""IANA <-> Windows time-zone names (CLDR territory 001) and wall-clock helpers."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kakehashi.engine._windows_zones import WINDOWS_TO_IANA

# CLDR keeps old IANA spellings; the modern ones must map back to the same Windows zone.
_IANA_ALIASES = {
    "Asia/Kolkata": "Asia/Calcutta",
    "Asia/Kathmandu": "Asia/Katmandu",
    "Asia/Yangon": "Asia/Rangoon",
    "Europe/Kyiv": "Europe/Kiev",
    "America/Nuuk": "America/Godthab",
    "America/Indiana/Indianapolis": "America/Indianapolis",
    "America/Argentina/Buenos_Aires": "America/Buenos_Aires",
    "UTC": "Etc/UTC",
    "Etc/GMT": "Etc/UTC",
    "GMT": "Etc/UTC",
}
IANA_TO_WINDOWS: dict[str, str] = {v: k for k, v in WINDOWS_TO_IANA.items()}
CUSTOM_ZONE = "tzone://Microsoft/Custom"


def to_iana(name: str | None, default: str = "UTC") -> str:
    """A Windows or IANA name -> an IANA name zoneinfo knows; unknown names -> default."""
    if not name or name == CUSTOM_ZONE:
        return default
    if name in WINDOWS_TO_IANA:
        return _canonical(WINDOWS_TO_IANA[name])
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return _canonical(name)


def _canonical(iana: str) -> str:
    # One spelling per zone, so a round trip through Windows names is an identity.
    return "UTC" if iana in ("Etc/UTC", "Etc/GMT", "GMT", "UTC") else iana


def to_windows(iana: str) -> str:
    """An IANA name -> the Windows name Graph expects; IANA names Graph also accepts pass."""
    key = _IANA_ALIASES.get(iana, iana)
    return IANA_TO_WINDOWS.get(key, iana)


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(to_iana(name))


def localize(day: date, at: time, tz: str) -> datetime:
    """Wall-clock time in a zone; a time in a DST gap resolves like zoneinfo does (fold=0)."""
    return datetime.combine(day, at).replace(tzinfo=zone(tz))


def local_midnight(day: date, tz: str) -> datetime:
    return localize(day, time(0, 0), tz)


def local_date(moment: datetime, tz: str) -> date:
    return moment.astimezone(zone(tz)).date()


def naive_local(moment: datetime, tz: str) -> datetime:
    return moment.astimezone(zone(tz)).replace(tzinfo=None)


def end_exclusive_date(start: datetime, end: datetime, tz: str) -> date:
    """The day after an all-day event's last day (ends at midnight or at 23:59[:59])."""
    s, e = naive_local(start, tz), naive_local(end, tz)
    if e.time() == time(0, 0) and e.date() > s.date():
        return e.date()
    return e.date() + timedelta(days=1)
