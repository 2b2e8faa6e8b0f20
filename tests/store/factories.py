"""Small builders for state documents used across the store suite."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pydantic import SecretStr

from kakehashi.contracts.event import (
    Frequency,
    NormalizedEvent,
    Person,
    Recurrence,
    Response,
    Weekday,
)
from kakehashi.contracts.state import (
    GaroonCredentials,
    GraphCredentials,
    Mapping,
    MappingState,
    SideRecord,
    Tenant,
)

# BSON keeps milliseconds: fixed timestamps make round-trip equality exact on every backend.
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

GRAPH_SECRET = "graph-client-secret-7f3a9c"
GAROON_PASSWORD = "garoon-pass-2b8e11"
HINT_SECRET = "hint-secret-5d0c42"


def tenant(tenant_id: str = "acme") -> Tenant:
    return Tenant(
        id=tenant_id,
        name="Acme",
        graph=GraphCredentials(
            tenant_id="aad-tenant",
            client_id="app-id",
            client_secret=SecretStr(GRAPH_SECRET),
            secret_expires_at=datetime(2027, 1, 1, tzinfo=UTC),
        ),
        garoon=GaroonCredentials(
            base_url="https://acme.cybozu.com/g",
            login="kakehashi",
            password=SecretStr(GAROON_PASSWORD),
        ),
        facility_rooms={"F-101": "room101@acme.example"},
        hint_secret=SecretStr(HINT_SECRET),
        created_at=T0,
    )


def weekly_standup() -> NormalizedEvent:
    return NormalizedEvent(
        title="Standup",
        start=datetime(2026, 12, 1, 0, 30, tzinfo=UTC),
        end=datetime(2026, 12, 1, 0, 45, tzinfo=UTC),
        timezone="Asia/Tokyo",
        organizer=Person(garoon_login="sato", email="sato@acme.example"),
        attendees=(Person(email="Suzuki@Acme.example", response=Response.ACCEPTED),),
        recurrence=Recurrence(
            frequency=Frequency.WEEKLY,
            weekdays=(Weekday.TU, Weekday.TH),
            start_date=date(2026, 12, 1),
            excluded=(date(2026, 12, 24),),
        ),
    )


def mapping(
    *,
    garoon_id: str | None = None,
    ical_uid: str | None = None,
    user_link_id: str = "link-1",
    tenant_id: str = "acme",
    series_mapping_id: str | None = None,
) -> Mapping:
    return Mapping(
        tenant_id=tenant_id,
        user_link_id=user_link_id,
        garoon_id=garoon_id,
        graph_ical_uid=ical_uid,
        garoon=SideRecord(id=garoon_id, version="2026-11-20T10:00:00Z", content_hash="h1"),
        state=MappingState.ACTIVE,
        series_mapping_id=series_mapping_id,
        updated_at=T0,
    )
