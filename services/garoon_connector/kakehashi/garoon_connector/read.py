"""Reading one Garoon event and turning it into an ObservedGaroon (hint -> observed).

Hints are not truth: whatever a hint says, the event is read again with the service account.
Not found / not visible means deleted.

The observation's `version` is `updatedAt` plus a short hash of the normalized content.
`updatedAt` has whole-second resolution on real Garoon, so two writes in one second could share
it and a user's edit right after ours would look like our echo; the hash tells them apart, and
the same event read twice still gives the same version (so the translator's echo check works).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kakehashi.contracts.event import NormalizedEvent, Person
from kakehashi.contracts.messages import ObservedGaroon, Side
from kakehashi.contracts.state import UserLink
from kakehashi.engine import timezones
from kakehashi.engine.hashing import content_hash
from kakehashi.engine.translate import garoon_rest
from kakehashi.garoon_client import NotFound
from kakehashi.garoon_connector import soap_shape
from kakehashi.garoon_connector.clients import TenantView, call
from kakehashi.store import Store

log = logging.getLogger("kakehashi.garoon_connector")

# Datastore entry on events we created: {mapping_id, idempotency_key, organizer, series_id,
# occurrence}. Name format per fact sheet §1.2 (reverse domain + ".schedule." + name).
MARKER = "jp.kakehashi.schedule.sync"


@dataclass(frozen=True)
class Snapshot:
    """One event as Garoon holds it now (`raw is None`: gone or not visible)."""

    event_id: str
    raw: dict[str, Any] | None = None
    marker: dict[str, Any] | None = None
    event: NormalizedEvent | None = None
    version: str | None = None
    modified_at: str | None = None

    @property
    def deleted(self) -> bool:
        return self.raw is None

    @property
    def repeating(self) -> bool:
        return bool(self.raw and self.raw.get("eventType") == "REPEATING")

    @property
    def tag(self) -> str | None:
        key = (self.marker or {}).get("idempotency_key")
        return str(key) if key else None

    @property
    def series_id(self) -> str | None:
        sid = (self.marker or {}).get("series_id")
        return str(sid) if sid else None

    def attendee_logins(self) -> list[str]:
        return [
            str(a["code"])
            for a in (self.raw or {}).get("attendees") or []
            if a.get("type", "USER") == "USER" and a.get("code")
        ]


_UNKNOWN: Any = object()


async def read_event(
    view: TenantView, event_id: str, *, marker: dict[str, Any] | None = _UNKNOWN
) -> Snapshot:
    """GET the event; for a series also SOAP (rule, exclusions); the marker unless the caller
    knows it (it wrote it, or read it before a write that cannot change it); translate."""
    client = view.client
    try:
        raw = await call("get_event", client.get_event(event_id))
        if raw.get("eventType") == "REPEATING":
            found = await call("soap_get_events_by_id", client.soap_get_events_by_id([event_id]))
            if found:
                info = soap_shape.rest_repeat_info(found[0])
                if info is not None:
                    raw = {**raw, "repeatInfo": info}
        if marker is _UNKNOWN:
            marker = await call("datastore_get", client.datastore_get(event_id, MARKER))
    except NotFound:
        return Snapshot(event_id=event_id)
    event = _organizer_fixed(garoon_rest.from_garoon(raw, view.translation), raw, marker, view)
    updated = raw.get("updatedAt")
    digest = (content_hash(event) or "")[:16]
    return Snapshot(
        event_id=event_id,
        raw=raw,
        marker=marker,
        event=event,
        version=f"{updated}~{digest}",
        modified_at=updated,
    )


def parse_stamp(value: Any) -> datetime | None:
    """A Garoon timestamp (RFC 3339, `Z` allowed); None when absent or not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _organizer_fixed(
    ev: NormalizedEvent, raw: dict[str, Any], marker: dict[str, Any] | None, view: TenantView
) -> NormalizedEvent:
    """Events we create have the service account as Garoon creator (no "act as"); the real
    organizer is remembered in our marker. Without this, every event we wrote would read back
    with the service account as organizer and look like an edit."""
    creator = (raw.get("creator") or {}).get("code")
    if not creator or creator != view.service_login or marker is None:
        return ev
    login = marker.get("organizer")
    if not login:
        return ev.model_copy(update={"organizer": None})
    name = next((p.name for p in ev.attendees if p.garoon_login == login), "")
    rest = tuple(p for p in ev.attendees if p.garoon_login != login)
    organizer = Person(garoon_login=login, name=name, email=view.translation.email_for(login))
    return ev.model_copy(update={"organizer": organizer, "attendees": rest})


def observation(
    snap: Snapshot, link: UserLink, envelope: dict[str, Any], *, series_id: str | None = None
) -> ObservedGaroon:
    return ObservedGaroon(
        **envelope,
        side=Side.GAROON,
        user_link_id=link.id,
        source_id=snap.event_id,
        version=snap.version,
        modified_at=snap.modified_at,
        deleted=snap.deleted,
        event=snap.event,
        series_id=series_id or snap.series_id,
        kakehashi_tag=snap.tag,
    )


async def owner_link(
    store: Store, view: TenantView, snap: Snapshot, fallback: UserLink | None
) -> UserLink | None:
    """Which linked user an observation is about: the mapping's owner when the event is
    mapped (one mapping per Garoon event, whoever looks at it), else its linked creator (the
    organizer's mailbox holds the meeting), else the user who acted or was swept, else the
    first linked attendee. None: nobody linked is involved, nothing to sync."""
    tenant_id = view.tenant.id
    mapping = await store.mappings.by_garoon_id(tenant_id, snap.event_id)
    if mapping is not None:
        link = await store.user_links.get(mapping.user_link_id)
        if link is not None:
            return link if link.enabled else None
    candidates: list[UserLink | None] = []
    creator = ((snap.raw or {}).get("creator") or {}).get("code")
    organizer = (snap.marker or {}).get("organizer")
    for login in (organizer, creator):
        candidates.append(view.link_for_login(str(login)) if login else None)
    candidates.append(fallback)
    candidates += [view.link_for_login(login) for login in snap.attendee_logins()]
    for link in candidates:
        if link is not None and link.enabled:
            return link
    return None


async def hidden_from_service(
    store: Store, view: TenantView, snap: Snapshot, link: UserLink
) -> bool:
    """True when a mapped event that reads as gone is still on the user's schedule, only
    private and invisible to the service account (listed as a `showPrivate` stub). Reporting
    it deleted would delete the user's Outlook copy; it is withheld instead."""
    if not snap.deleted:
        return False
    mapping = await store.mappings.by_garoon_id(view.tenant.id, snap.event_id)
    base = mapping.base if mapping is not None else None
    if base is None or base.start is None or base.end is None:
        return False
    uid = await view.user_id(link.garoon_login)
    if uid is None:
        return False
    rows = await call(
        "list_events",
        view.client.list_events(
            target=uid,
            target_type="user",
            range_start=base.start - timedelta(days=1),
            range_end=base.end + timedelta(days=1),
            show_private=True,
            fields=("id",),
        ),
    )
    if any(str(row.get("id")) == snap.event_id for row in rows):
        log.warning(
            "event no longer visible to the service account (private?): not reported deleted",
            extra={"tenant_id": view.tenant.id, "event_id": snap.event_id},
        )
        return True
    return False


async def split_origin(
    store: Store, view: TenantView, snap: Snapshot, link: UserLink
) -> str | None:
    """The series a browser "this"/"after" edit split `snap` off, or None.

    Garoon links the two only implicitly (fact sheet §2.4): after "this" the series has an
    exclusion on the split event's date; after "after" the series ends the day before the new
    series starts. Only the user's mapped series are candidates, each read through SOAP."""
    if snap.raw is None or snap.event is None or snap.event.start is None:
        return None
    day = snap.event.start.astimezone(timezones.zone(snap.event.timezone)).date()
    if snap.event.recurrence is not None:
        day = snap.event.recurrence.start_date
    for mapping in await store.mappings.list_for_user(link.id):
        base = mapping.base
        if not mapping.garoon_id or mapping.garoon_id == snap.event_id:
            continue
        if base is None or base.recurrence is None:
            continue
        try:
            found = await call(
                "soap_get_events_by_id", view.client.soap_get_events_by_id([mapping.garoon_id])
            )
        except NotFound:
            continue
        info = soap_shape.rest_repeat_info(found[0]) if found else None
        if info is None:
            continue
        if snap.repeating:
            end = (info.get("period") or {}).get("end")
            if end and date.fromisoformat(str(end)[:10]) == day - timedelta(days=1):
                return mapping.garoon_id
        else:
            for x in info.get("exclusiveDateTimes") or []:
                start = datetime.fromisoformat(str(x["start"]).replace("Z", "+00:00"))
                if timezones.local_date(start, snap.event.timezone) == day:
                    return mapping.garoon_id
    return None
