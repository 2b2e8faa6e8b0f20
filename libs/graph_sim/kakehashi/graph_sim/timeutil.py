"""Time zones (Windows and IANA names) and Graph's date-time text forms."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import bad_request

# Windows zone -> IANA (CLDR windowsZones.xml, territory 001). A subset: the zones a Japanese
# deployment and the tests meet. Unknown Windows names are rejected like Graph does.
WINDOWS_TO_IANA: dict[str, str] = {
    "UTC": "UTC",
    "Coordinated Universal Time": "UTC",
    "Tokyo Standard Time": "Asia/Tokyo",
    "Korea Standard Time": "Asia/Seoul",
    "China Standard Time": "Asia/Shanghai",
    "Taipei Standard Time": "Asia/Taipei",
    "Singapore Standard Time": "Asia/Singapore",
    "India Standard Time": "Asia/Calcutta",
    "AUS Eastern Standard Time": "Australia/Sydney",
    "GMT Standard Time": "Europe/London",
    "Greenwich Standard Time": "Atlantic/Reykjavik",
    "W. Europe Standard Time": "Europe/Berlin",
    "Romance Standard Time": "Europe/Paris",
    "Central European Standard Time": "Europe/Warsaw",
    "Eastern Standard Time": "America/New_York",
    "Central Standard Time": "America/Chicago",
    "Mountain Standard Time": "America/Denver",
    "Pacific Standard Time": "America/Los_Angeles",
    "Hawaiian Standard Time": "Pacific/Honolulu",
}
IANA_TO_WINDOWS: dict[str, str] = {
    v: k for k, v in WINDOWS_TO_IANA.items() if k != "Coordinated Universal Time"
}
IANA_TO_WINDOWS.update({"Etc/UTC": "UTC", "Etc/GMT": "UTC", "Asia/Kolkata": "India Standard Time"})

_FRACTION = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def zone(name: str) -> dt.tzinfo:
    """Resolve a Windows or IANA zone name; 400 for names Graph would not accept."""
    iana = WINDOWS_TO_IANA.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request(
            "A valid TimeZone value must be specified. The following TimeZone value is not "
            f"supported: '{name}'.",
            "TimeZoneNotSupportedException",
        ) from None


def windows_name(name: str) -> str:
    """The Windows name Graph reports in originalStartTimeZone."""
    if name in WINDOWS_TO_IANA:
        return "UTC" if name == "Coordinated Universal Time" else name
    return IANA_TO_WINDOWS.get(name, name)


def _parse_naive(text: str) -> tuple[dt.datetime, str | None]:
    m = _FRACTION.match(text.strip())
    if not m:
        try:
            return dt.datetime.fromisoformat(text), None
        except ValueError:
            raise bad_request(
                f"Cannot convert the literal '{text}' to the expected type 'Edm.DateTimeOffset'."
            ) from None
    base, frac, offset = m.groups()
    value = dt.datetime.fromisoformat(base)
    if frac:
        value = value.replace(microsecond=int((frac[1:] + "000000")[:6]))
    return value, offset


def parse_dtz(value: object) -> tuple[dt.datetime, str]:
    """A dateTimeTimeZone body value -> (aware UTC datetime, zone name as given)."""
    if not isinstance(value, dict) or "dateTime" not in value:
        raise bad_request("dateTimeTimeZone must have dateTime and timeZone.")
    tzname = str(value.get("timeZone") or "UTC")
    naive, offset = _parse_naive(str(value["dateTime"]))
    if offset:
        aware = dt.datetime.fromisoformat(
            naive.isoformat() + ("+00:00" if offset == "Z" else offset)
        )
    else:
        aware = naive.replace(tzinfo=zone(tzname))
    return aware.astimezone(dt.UTC), tzname


def parse_query_time(text: str) -> dt.datetime:
    """startDateTime/endDateTime query values: an offset is honoured, none means UTC."""
    naive, offset = _parse_naive(text)
    if offset:
        return dt.datetime.fromisoformat(
            naive.isoformat() + ("+00:00" if offset == "Z" else offset)
        ).astimezone(dt.UTC)
    return naive.replace(tzinfo=dt.UTC)


def fmt7(value: dt.datetime) -> str:
    """Graph's 7-fractional-digit form without offset: 2026-05-12T10:00:00.0000000."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0"


def out_dtz(value: dt.datetime, tzname: str | None) -> dict[str, str]:
    """Express a UTC instant in the Prefer: outlook.timezone zone (UTC without the header)."""
    name = tzname or "UTC"
    return {"dateTime": fmt7(value.astimezone(zone(name))), "timeZone": name}


def utc_stamp(value: dt.datetime) -> str:
    """createdDateTime / lastModifiedDateTime form: 2026-05-01T00:12:34.5678901Z."""
    return fmt7(value.astimezone(dt.UTC)) + "Z"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
