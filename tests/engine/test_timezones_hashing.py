"""Windows <-> IANA names (CLDR territory 001) and the content hash's normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kakehashi.contracts.event import NormalizedEvent, SourceVersions
from kakehashi.engine import timezones
from kakehashi.engine._windows_zones import WINDOWS_TO_IANA
from kakehashi.engine.hashing import content_hash


@pytest.mark.parametrize(
    ("windows", "iana"),
    [
        ("Tokyo Standard Time", "Asia/Tokyo"),
        ("Eastern Standard Time", "America/New_York"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("GMT Standard Time", "Europe/London"),
        ("India Standard Time", "Asia/Calcutta"),
        ("AUS Eastern Standard Time", "Australia/Sydney"),
        ("UTC", "UTC"),
    ],
)
def test_windows_iana_key_entries(windows: str, iana: str) -> None:
    assert timezones.to_iana(windows) == iana
    assert timezones.to_windows(iana) == windows


def test_every_table_zone_is_known_to_zoneinfo_and_round_trips() -> None:
    assert len(WINDOWS_TO_IANA) >= 130
    for windows, iana in WINDOWS_TO_IANA.items():
        ZoneInfo(iana)
        assert timezones.to_windows(timezones.to_iana(windows)) == windows


def test_modern_spellings_and_custom_zones() -> None:
    assert timezones.to_windows("Asia/Kolkata") == "India Standard Time"
    assert timezones.to_iana("tzone://Microsoft/Custom", "Asia/Tokyo") == "Asia/Tokyo"
    assert timezones.to_iana("Not/AZone", "UTC") == "UTC"


def test_hash_ignores_volatile_fields_and_offsets() -> None:
    start = datetime(2026, 6, 1, 1, tzinfo=UTC)
    a = NormalizedEvent(title="t", start=start, end=start + timedelta(hours=1))
    b = a.model_copy(
        update={
            "start": start.astimezone(ZoneInfo("Asia/Tokyo")),
            "versions": SourceVersions(graph="ck2", modified_at=start),
        }
    )
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(a.model_copy(update={"title": "u"}))
