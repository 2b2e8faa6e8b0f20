"""GaroonSimulator: the in-memory Garoon state and every operation the front ends share."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from typing import Any

from . import person
from .errors import GaroonError, bad_param, no_permission, not_found_event
from .faults import FaultRule, RequestLog
from .hints import HintOutbox
from .model import Event, Facility, Occurrence, Organization, Settings, User
from .repeat import day_exclusion, first_date, is_excluded, occurrence_span, occurrences


class GaroonSimulator:
    def __init__(self) -> None:
        self.settings = Settings()
        self.hints = HintOutbox(self)
        self.log = RequestLog()
        self.faults: list[FaultRule] = []
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        """Forget all data, faults, logs and switches (the hint proxy setting too)."""
        self.users: dict[int, User] = {}
        self.organizations: dict[int, Organization] = {}
        self.facilities: dict[int, Facility] = {}
        self.menus: list[str] = []
        self.events: dict[int, Event] = {}
        self._next_event_id = 1
        self._last_stamp = datetime(2000, 1, 1, tzinfo=UTC)
        self.settings = Settings()
        self.faults = []
        self.log.clear()
        self.hints.reset()

    def now(self) -> datetime:
        """UTC seconds; strictly increasing by default so every write changes updatedAt."""
        now = datetime.now(UTC).replace(microsecond=0)
        if self.settings.strictly_increasing_timestamps and now <= self._last_stamp:
            now = self._last_stamp + timedelta(seconds=1)
        self._last_stamp = now
        return now

    def _new_id(self) -> int:
        eid = self._next_event_id
        self._next_event_id += 1
        return eid

    # ------------------------------------------------------------------ seeding
    def add_user(
        self,
        code: str,
        name: str | None = None,
        password: str = "password",  # noqa: S107 - simulator default
        email: str = "",
        id: int | None = None,
    ) -> User:
        uid = id if id is not None else max(self.users, default=0) + 1
        user = User(uid, code, name or code, password, email)
        self.users[uid] = user
        return user

    def add_organization(
        self,
        code: str,
        name: str | None = None,
        members: list[int | str] | None = None,
        parent_id: int | None = None,
        id: int | None = None,
    ) -> Organization:
        oid = id if id is not None else max(self.organizations, default=0) + 1
        ids = [self.resolve_user(m).id for m in members or []]
        org = Organization(oid, code, name or code, ids, parent_id)
        self.organizations[oid] = org
        return org

    def add_facility(
        self,
        code: str,
        name: str | None = None,
        notes: str = "",
        id: int | None = None,
    ) -> Facility:
        fid = id if id is not None else max(self.facilities, default=0) + 1
        fac = Facility(fid, code, name or code, notes)
        self.facilities[fid] = fac
        return fac

    def set_menus(self, menus: list[str]) -> None:
        self.menus = list(menus)

    # ------------------------------------------------------------------ lookups
    def authenticate(self, login: str, password: str) -> User | None:
        for user in self.users.values():
            if user.code == login and user.password == password:
                return user
        return None

    def resolve_user(self, ref: int | str) -> User:
        """A user by id (int or numeric string) or login name."""
        if isinstance(ref, int) or ref.isdigit():
            user = self.users.get(int(ref))
            if user is not None:
                return user
        for user in self.users.values():
            if user.code == ref:
                return user
        raise GaroonError(404, "GRN_CMMN_00105", "Cannot find the specified user.", str(ref))

    def org_ids_of(self, user_id: int) -> set[int]:
        return {o.id for o in self.organizations.values() if user_id in o.members}

    # ------------------------------------------------------------------ permissions
    def attends(self, user_id: int, ev: Event, *, direct: bool = False) -> bool:
        orgs = set() if direct else self.org_ids_of(user_id)
        for m in ev.attendees:
            if m.type == "USER" and m.id == user_id:
                return True
            if m.type == "ORGANIZATION" and m.id in orgs:
                return True
        return False

    def can_view(self, user_id: int, ev: Event) -> bool:
        if ev.visibility == "PUBLIC" or self.attends(user_id, ev):
            return True
        orgs = self.org_ids_of(user_id)
        return any(
            (w.type == "USER" and w.id == user_id) or (w.type == "ORGANIZATION" and w.id in orgs)
            for w in ev.watchers
        )

    def can_edit(self, user_id: int, ev: Event) -> bool:
        if not self.can_view(user_id, ev):
            return False
        return self.attends(user_id, ev) or not self.settings.edit_requires_attendance

    def _event(self, event_id: int | str) -> Event:
        try:
            ev = self.events.get(int(event_id))
        except ValueError:
            ev = None
        if ev is None:
            raise not_found_event()
        return ev

    def get_event(self, actor: int, event_id: int | str) -> Event:
        ev = self._event(event_id)
        if not self.can_view(actor, ev):
            raise not_found_event()
        return ev

    def editable_event(self, actor: int, event_id: int | str) -> Event:
        ev = self.get_event(actor, event_id)
        if not self.can_edit(actor, ev):
            raise no_permission("changing this event")
        return ev

    # ------------------------------------------------------------------ writes
    def draft(self, actor: int, start: datetime, tz: str, **values: Any) -> Event:
        """An unsaved event (id 0); the write operations stamp it."""
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        values.setdefault("event_type", "REGULAR")
        values.setdefault("end", None)
        values.setdefault("end_tz", tz)
        return Event(
            id=0,
            start=start,
            start_tz=tz,
            creator=actor,
            updater=actor,
            created_at=epoch,
            updated_at=epoch,
            version=0,
            **values,
        )

    def _stamp(self, ev: Event, actor: int, *, created: bool = False) -> None:
        now = self.now()
        if created:
            ev.created_at = now
            ev.creator = actor
        ev.updated_at = now
        ev.updater = actor
        # Looks like a Unix timestamp (as on real Garoon) but never repeats for one event.
        ev.version = max(ev.version + 1, int(now.timestamp()))

    def _check_menu(self, ev: Event) -> None:
        if self.settings.reject_unknown_menu and ev.menu and ev.menu not in self.menus:
            raise bad_param("eventMenu", f"{ev.menu!r} is not a configured menu")

    def insert_event(self, actor: int, ev: Event) -> Event:
        self._check_menu(ev)
        ev.id = self._new_id()
        self._normalize_series_start(ev)
        self._stamp(ev, actor, created=True)
        self.events[ev.id] = ev
        return ev

    def save_event(self, actor: int, ev: Event) -> Event:
        """Store a changed copy of an existing event."""
        self._check_menu(ev)
        self._normalize_series_start(ev)
        self._stamp(ev, actor)
        self.events[ev.id] = ev
        return ev

    def _normalize_series_start(self, ev: Event) -> None:
        if ev.repeat is None:
            return
        first = first_date(ev.repeat, self.settings) or ev.repeat.start_date
        ev.start, ev.end = occurrence_span(ev.repeat, ev.start_tz, first)
        ev.is_all_day = ev.repeat.start_time is None
        ev.is_start_only = ev.repeat.start_time is not None and ev.repeat.end_time is None

    def delete_event(self, actor: int, event_id: int | str) -> Event:
        ev = self._event(event_id)
        if not self.can_view(actor, ev):
            raise not_found_event()
        if not self.can_edit(actor, ev):
            raise no_permission("deleting this event")
        del self.events[ev.id]
        return ev

    def _check_date(self, ev: Event, day: date | None) -> date:
        if ev.repeat is None:
            raise bad_param("event_id", "The event is not a repeating event.")
        if day is None:
            raise bad_param("date", "A date is required for this/after.")
        return day

    def modify_repeat(
        self,
        actor: int,
        event_id: int | str,
        scope: str,
        day: date | None,
        new: Event,
        *,
        as_attendance: bool = False,
    ) -> tuple[Event | None, Event]:
        """SOAP ScheduleModifyRepeatEvents. Returns (original series after the edit, modified).

        "this": the occurrence leaves the series as a new normal event (new id) and the series
        gains an exclusion. "after": the series ends the day before and a new repeating event
        (new id) carries the rest. "all": the series itself is overwritten. With
        `as_attendance` (joining or leaving) only view permission is needed.
        """
        ev = (
            self.get_event(actor, event_id)
            if as_attendance
            else self.editable_event(actor, event_id)
        )
        if scope == "all":
            new.id, new.created_at, new.creator, new.version = (
                ev.id,
                ev.created_at,
                ev.creator,
                ev.version,
            )
            new.datastore = ev.datastore
            return None, self.save_event(actor, new)
        d = self._check_date(ev, day)
        rule = ev.repeat
        assert rule is not None
        series = ev.clone()
        new.datastore = {}  # a split-off event starts without the series' custom data
        if scope == "this":
            new.event_type = "REGULAR"
            new.repeat = None
            assert series.repeat is not None
            series.repeat.exclusions.append(day_exclusion(ev.start_tz, d))
            created = self.insert_event(actor, new)
            return self.save_event(actor, series), created
        if scope != "after":
            raise bad_param("type", f"Unknown operation type {scope!r}.")
        first = first_date(rule, self.settings)
        if first is None or d <= first:  # nothing would be left before the split
            return self.modify_repeat(
                actor, event_id, "all", None, new, as_attendance=as_attendance
            )
        assert series.repeat is not None
        assert new.repeat is not None
        series.repeat.end_date = d - timedelta(days=1)
        keep = [x for x in rule.exclusions if x[0].date() < d]
        moved = [x for x in rule.exclusions if x[0].date() >= d]
        series.repeat.exclusions = keep
        new.repeat.start_date = max(new.repeat.start_date, d)
        new.repeat.exclusions = moved + [
            x for x in new.repeat.exclusions if x not in moved and x[0].date() >= d
        ]
        new.event_type = "REPEATING"
        created = self.insert_event(actor, new)
        return self.save_event(actor, series), created

    def remove_from_repeat(
        self, actor: int, event_id: int | str, scope: str, day: date | None
    ) -> Event | None:
        """SOAP ScheduleRemoveEventsFromRepeatEvent. Returns the remaining series, if any."""
        ev = self.editable_event(actor, event_id)
        if scope == "all":
            self.delete_event(actor, ev.id)
            return None
        d = self._check_date(ev, day)
        series = ev.clone()
        assert series.repeat is not None
        if scope == "this":
            if not is_excluded(series.repeat, ev.start_tz, d):
                series.repeat.exclusions.append(day_exclusion(ev.start_tz, d))
        elif scope == "after":
            first = first_date(series.repeat, self.settings)
            if first is None or d <= first:
                self.delete_event(actor, ev.id)
                return None
            series.repeat.end_date = d - timedelta(days=1)
            series.repeat.exclusions = [x for x in series.repeat.exclusions if x[0].date() < d]
        else:
            raise bad_param("type", f"Unknown operation type {scope!r}.")
        return self.save_event(actor, series)

    def occurrence_on(self, ev: Event, day: date) -> Occurrence:
        for occ in occurrences(ev, self.settings):
            if occ.start.astimezone(occ.start.tzinfo).date() == day:
                return occ
        raise bad_param("date", f"The series has no occurrence on {day.isoformat()}.")

    # ------------------------------------------------------------------ queries
    def in_range(self, occ: Occurrence, start: datetime | None, end: datetime | None) -> bool:
        if self.settings.range_mode == "start":
            return (start is None or occ.start >= start) and (end is None or occ.start < end)
        if end is not None and occ.start >= end:
            return False
        if start is None:
            return True
        e = occ.effective_end
        return e > start or (e == occ.start and occ.start >= start)

    def occurrences_in(
        self, events: list[Event], start: datetime | None, end: datetime | None
    ) -> list[Occurrence]:
        out: list[Occurrence] = []
        for ev in events:
            out.extend(o for o in occurrences(ev, self.settings) if self.in_range(o, start, end))
        return out

    def events_of_user(self, user_id: int, *, direct: bool = True) -> list[Event]:
        return [ev for ev in self.events.values() if self.attends(user_id, ev, direct=direct)]

    # ------------------------------------------------------------------ "as a person"
    # Thin wrappers; person.py holds the logic and fires the JS-event hints.
    def person_create(self, who: int | str, body: dict[str, Any]) -> Event:
        return person.create(self, self.resolve_user(who), body)

    def person_edit(
        self,
        who: int | str,
        event_id: int | str,
        changes: dict[str, Any],
        range: str = "ALL",
        date: str | None = None,
        quick: bool = False,
    ) -> Event:
        return person.edit(self, self.resolve_user(who), event_id, changes, range, date, quick)

    def person_delete(
        self,
        who: int | str,
        event_id: int | str,
        range: str = "ALL",
        date: str | None = None,
    ) -> None:
        person.delete(self, self.resolve_user(who), event_id, range, date)

    def person_attend(
        self,
        who: int | str,
        event_id: int | str,
        range: str = "ALL",
        date: str | None = None,
    ) -> Event:
        return person.attend(self, self.resolve_user(who), event_id, range, date, join=True)

    def person_leave(
        self,
        who: int | str,
        event_id: int | str,
        range: str = "ALL",
        date: str | None = None,
    ) -> Event:
        return person.attend(self, self.resolve_user(who), event_id, range, date, join=False)

    def person_respond(
        self, who: int | str, event_id: int | str, status: str, comment: str = ""
    ) -> Event:
        return person.respond(self, self.resolve_user(who), event_id, status, comment)

    def person_teams(self, who: int | str, event_id: int | str, invitees: list[str]) -> None:
        person.teams(self, self.resolve_user(who), event_id, invitees)

    # ------------------------------------------------------------------ inspection
    def raw_events(self) -> list[dict[str, Any]]:
        return [raw_event(ev) for ev in sorted(self.events.values(), key=lambda e: e.id)]

    def add_fault(self, rule: FaultRule) -> None:
        self.faults.append(rule)


def raw_event(ev: Event) -> dict[str, Any]:
    """The stored event as plain JSON (for the control API and debugging)."""

    def conv(v: Any) -> Any:
        if isinstance(v, datetime | date):
            return v.isoformat()
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    data: dict[str, Any] = conv(dataclasses.asdict(ev))
    return data
