"""Mailbox calendars: event writes, occurrence exceptions and Exchange-style meeting copies."""

from __future__ import annotations

import datetime as dt
import html
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import recurrence
from .errors import GraphError, bad_request, not_found
from .model import Event, Instance, User, new_change_key, new_event_id
from .render import key_time, new_ical_uid, occurrence_key, split_occurrence_id
from .timeutil import now, parse_dtz, zone

ENUMS = {
    "sensitivity": {"normal", "personal", "private", "confidential"},
    "showAs": {"unknown", "free", "tentative", "busy", "oof", "workingElsewhere"},
    "importance": {"low", "normal", "high"},
    "onlineMeetingProvider": {
        "unknown",
        "skypeForBusiness",
        "skypeForConsumer",
        "teamsForBusiness",
    },
}
SIMPLE = {
    "subject",
    "categories",
    "sensitivity",
    "showAs",
    "importance",
    "isAllDay",
    "isReminderOn",
    "reminderMinutesBeforeStart",
    "responseRequested",
    "allowNewTimeProposals",
    "hideAttendees",
}
READ_ONLY = {
    "id",
    "changeKey",
    "createdDateTime",
    "lastModifiedDateTime",
    "iCalUId",
    "type",
    "seriesMasterId",
    "isOrganizer",
    "organizer",
    "responseStatus",
    "webLink",
    "onlineMeeting",
    "onlineMeetingUrl",
    "isCancelled",
    "isDraft",
    "hasAttachments",
    "bodyPreview",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "originalStart",
    "cancelledOccurrences",
    "exceptionOccurrences",
    "uid",
}
# Fields an organizer's update carries to attendee copies (and that trigger an update mail).
MEETING_FIELDS = (
    "subject",
    "body",
    "location",
    "locations",
    "attendees",
    "recurrence",
    "isOnlineMeeting",
    "onlineMeetingProvider",
    "onlineMeeting",
    "isAllDay",
    "sensitivity",
    "importance",
    "allowNewTimeProposals",
    "hideAttendees",
    "responseRequested",
)
NO_TIME = "0001-01-01T00:00:00Z"


def ext_key(prop_id: str) -> str:
    """Normalise an extended property id: type and GUID case-insensitive, the Name part exact."""
    parts = prop_id.strip().split(" ", 3)
    if len(parts) >= 3:
        parts[0] = parts[0].lower()
        parts[1] = parts[1].lower()
        parts[2] = parts[2].lower()
    return " ".join(parts)


@dataclass
class Change:
    mailbox: str
    event_id: str
    change_type: str  # created | updated | deleted
    change_key: str


class CalendarStore:
    """All mailboxes' events. Calls `on_change` for every item change and `send_mail` for mail."""

    def __init__(
        self,
        find_user: Callable[[str, str], User | None],
        get_user: Callable[[str], User],
        on_change: Callable[[Change], None],
        send_mail: Callable[[dict[str, Any]], None],
        is_room: Callable[[str, str], bool],
    ) -> None:
        self.mailboxes: dict[str, dict[str, Event]] = {}
        self.transactions: dict[tuple[str, str], str] = {}
        self._find_user = find_user
        self._get_user = get_user
        self._on_change = on_change
        self._send_mail = send_mail
        self._is_room = is_room
        self.cancelled_copies = "keep"
        self.transaction_duplicate = "return_original"

    # ------------------------------------------------------------------ lookups
    def box(self, user_id: str) -> dict[str, Event]:
        return self.mailboxes.setdefault(user_id, {})

    def get(self, user_id: str, event_id: str) -> Event:
        ev = self.box(user_id).get(event_id)
        if ev is None:
            raise not_found()
        return ev

    def resolve(self, user_id: str, event_id: str) -> tuple[Event, str | None]:
        """An id -> (event or series master, occurrence key or None)."""
        ev = self.box(user_id).get(event_id)
        if ev is not None:
            return ev, None
        split = split_occurrence_id(event_id)
        if split is None:
            raise not_found()
        master = self.get(user_id, split[0])
        key = split[1]
        if not master.is_series or key in master.cancelled or not self._is_occurrence(master, key):
            raise not_found()
        return master, key

    def _is_occurrence(self, master: Event, key: str) -> bool:
        when = key_time(key)
        for start in recurrence.occurrence_starts(
            master.props["recurrence"],
            master.start,
            master.start_tz,
            when + dt.timedelta(seconds=1),
        ):
            if start == when:
                return True
        return False

    def instances(
        self, ev: Event, win_start: dt.datetime, win_end: dt.datetime
    ) -> list[tuple[str, dt.datetime, dt.datetime, Instance | None]]:
        """Occurrences and exceptions of a series overlapping [win_start, win_end)."""
        out: list[tuple[str, dt.datetime, dt.datetime, Instance | None]] = []
        duration = ev.end - ev.start
        for start in recurrence.occurrence_starts(
            ev.props["recurrence"], ev.start, ev.start_tz, win_end
        ):
            key = occurrence_key(start)
            if key in ev.cancelled or key in ev.exceptions:
                continue
            if start + duration > win_start or (duration == dt.timedelta(0) and start >= win_start):
                out.append((key, start, start + duration, None))
        for key, exc in ev.exceptions.items():
            if exc.start < win_end and exc.end > win_start:
                out.append((key, exc.start, exc.end, exc))
        out.sort(key=lambda item: (item[1], item[0]))
        return out

    def view(
        self, user_id: str, win_start: dt.datetime, win_end: dt.datetime
    ) -> list[tuple[Event, str | None, dt.datetime, dt.datetime, Instance | None]]:
        """calendarView: singles overlapping the window plus expanded series."""
        rows: list[tuple[Event, str | None, dt.datetime, dt.datetime, Instance | None]] = []
        for ev in self.box(user_id).values():
            if ev.is_series:
                for key, s, e, exc in self.instances(ev, win_start, win_end):
                    rows.append((ev, key, s, e, exc))
            elif ev.start < win_end and (
                ev.end > win_start or (ev.start == ev.end and ev.start >= win_start)
            ):
                rows.append((ev, None, ev.start, ev.end, None))
        rows.sort(key=lambda r: (r[2], r[0].id, r[1] or ""))
        return rows

    # ------------------------------------------------------------------ body parsing
    def _normalise_attendees(
        self, raw: Any, old: list[dict[str, Any]], tenant_id: str
    ) -> list[dict[str, Any]]:
        if not isinstance(raw, list):
            raise bad_request("attendees must be a collection.")
        previous = {a["emailAddress"]["address"].lower(): a for a in old}
        out = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("emailAddress"), dict):
                raise bad_request("Each attendee needs an emailAddress.")
            address = str(item["emailAddress"].get("address") or "")
            if not address:
                raise bad_request(
                    "An attendee emailAddress.address is required.", "ErrorInvalidRecipients"
                )
            atype = item.get("type", "required")
            if atype not in {"required", "optional", "resource"}:
                raise bad_request(f"Invalid attendee type '{atype}'.")
            kept = previous.get(address.lower())
            if kept is not None:
                status = dict(kept["status"])
            elif self._is_room(tenant_id, address):
                status = {"response": "accepted", "time": _stamp(now())}
            else:
                status = {"response": "none", "time": NO_TIME}
            name = item["emailAddress"].get("name") or address
            out.append(
                {
                    "type": atype,
                    "status": status,
                    "emailAddress": {"name": name, "address": address},
                }
            )
        if len(out) > 500:
            raise bad_request("An event can have at most 500 attendees.")
        return out

    def _apply(
        self, ev: Event | None, props: dict[str, Any], body: dict[str, Any], tenant_id: str
    ) -> dict[str, Any]:
        """Validate a create/PATCH body into `props`; returns parsed times {start, end} if given."""
        times: dict[str, Any] = {}
        for name, value in body.items():
            if name.startswith("@odata") or name in READ_ONLY:
                continue
            if name in ENUMS and value not in ENUMS[name]:
                raise bad_request(
                    f"Invalid value '{value}' for property '{name}'.", "RequestBodyRead"
                )
            if name in SIMPLE:
                props[name] = list(value) if name == "categories" else value
            elif name == "body":
                if not isinstance(value, dict):
                    raise bad_request("body must be an itemBody.")
                ctype = str(value.get("contentType", "text")).lower()
                if ctype not in {"text", "html"}:
                    raise bad_request("Invalid body contentType.", "RequestBodyRead")
                props["body"] = {"contentType": ctype, "content": str(value.get("content", ""))}
            elif name == "location":
                loc = _location(value)
                props["location"] = loc
                props["locations"] = [loc] if loc.get("displayName") else []
            elif name == "locations":
                locs = [_location(v) for v in (value or [])]
                props["locations"] = locs
                if locs:
                    first = dict(locs[0])
                    first["displayName"] = "; ".join(x.get("displayName", "") for x in locs)
                    props["location"] = first
                else:
                    props["location"] = _location({})
            elif name == "attendees":
                props["attendees"] = self._normalise_attendees(
                    value, props.get("attendees", []), tenant_id
                )
            elif name in {"start", "end"}:
                times[name] = parse_dtz(value)
            elif name == "recurrence":
                times["recurrence"] = value
            elif name == "isOnlineMeeting":
                if props.get("isOnlineMeeting") and not value:
                    continue  # once on, it stays on (Graph ignores switching it off)
                props["isOnlineMeeting"] = bool(value)
            elif name == "onlineMeetingProvider":
                if props.get("onlineMeeting") is None:
                    props["onlineMeetingProvider"] = value
            elif name == "singleValueExtendedProperties":
                times["ext"] = value
            elif name == "transactionId":
                if ev is not None and value != ev.transaction_id:
                    raise bad_request(
                        "The transactionId property can only be set when the event is created."
                    )
            elif name in {"multiValueExtendedProperties", "extensions", "attachments"}:
                continue
            else:
                raise bad_request(
                    f"The property '{name}' does not exist on type 'microsoft.graph.event'. "
                    "Make sure to only use property names that are defined by the type.",
                    "RequestBodyRead",
                )
        return times

    @staticmethod
    def _set_ext(ev: Event, raw: Any) -> None:
        if not isinstance(raw, list):
            raise bad_request("singleValueExtendedProperties must be a collection.")
        for item in raw:
            if not isinstance(item, dict) or "id" not in item:
                raise bad_request("An extended property needs an id.")
            key = ext_key(str(item["id"]))
            ev.ext[key] = str(item.get("value", ""))
            ev.ext_ids[key] = str(item["id"])

    def _teams(self, user: User, props: dict[str, Any], event_id: str) -> None:
        """Give an online meeting its join URL and the Teams block in the body."""
        if not props.get("isOnlineMeeting") or props.get("onlineMeeting") is not None:
            return
        provider = props.get("onlineMeetingProvider", "teamsForBusiness")
        if provider in (None, "unknown"):
            provider = "teamsForBusiness"
        if provider != "teamsForBusiness" or not user.teams_enabled:
            # The documented failure mode: 201, but the meeting silently isn't online [S].
            props["isOnlineMeeting"] = False
            props["onlineMeetingProvider"] = "unknown"
            return
        thread = secrets.token_hex(16)
        join = (
            f"https://teams.microsoft.com/l/meetup-join/19%3ameeting_{thread}%40thread.v2/0"
            f"?context=%7b%22Tid%22%3a%22{user.tenant_id}%22%2c%22Oid%22%3a%22{user.id}%22%7d"
        )
        conf = str(secrets.randbelow(10**9)).zfill(9)
        props["onlineMeetingProvider"] = "teamsForBusiness"
        props["onlineMeeting"] = {
            "joinUrl": join,
            "conferenceId": conf,
            "tollNumber": "+81 3-4578-0000",
            "tollFreeNumbers": [],
            "phones": [],
            "quickDial": None,
        }
        body = props.get("body") or {"contentType": "text", "content": ""}
        content = (
            body["content"]
            if body["contentType"] == "html"
            else "<div>" + html.escape(body["content"]).replace("\n", "<br>") + "</div>"
        )
        # Like Outlook's: the block opens on a line of its own (after a break), between two
        # long rules of underscores (80), each in its own div.
        rule = (
            '<div style="width:100%;height:20px"><span style="white-space:nowrap;'
            'color:#5F5F5F;opacity:.36">' + "_" * 80 + "</span></div>"
        )
        block = (
            "<br>" + rule + '<div class="me-email-text"><span>Microsoft Teams meeting</span></div>'
            "<div><span>Join on your computer, mobile app or room device</span></div>"
            f'<div><a href="{join}" class="me-email-headline">Click here to join the meeting</a>'
            "</div>"
            f"<div><span>Meeting ID: {conf}</span></div>" + rule
        )
        props["body"] = {
            "contentType": "html",
            "content": f"<html><body>{content}{block}</body></html>",
        }

    @staticmethod
    def _check_times(
        props: dict[str, Any], start: dt.datetime, end: dt.datetime, stz: str, etz: str
    ) -> None:
        if end < start:
            raise bad_request(
                "The event end time must be later than its start time.", "ErrorInvalidRequest"
            )
        if props.get("isAllDay"):
            s_local, e_local = start.astimezone(zone(stz)), end.astimezone(zone(etz))
            midnight = all(
                x.hour == 0 and x.minute == 0 and x.second == 0 for x in (s_local, e_local)
            )
            if not midnight or stz != etz or end == start:
                raise bad_request(
                    "Your request can't be completed. If isAllDay is set to true, Start and End "
                    "must be "
                    "at midnight in the same time zone and span at least one day.",
                    "ErrorInvalidRequest",
                )

    # ------------------------------------------------------------------ create
    def create(self, user: User, body: dict[str, Any], *, actor: str = "app") -> tuple[Event, bool]:
        """Create in the user's calendar -> (event, created); False on a transactionId replay."""
        txn = body.get("transactionId")
        if txn is not None:
            existing_id = self.transactions.get((user.id, str(txn)))
            if existing_id is not None and existing_id in self.box(user.id):
                if self.transaction_duplicate == "conflict":
                    raise GraphError(
                        409,
                        "ErrorDuplicateTransactionId",
                        "An item with the same transactionId already exists.",
                    )
                return self.box(user.id)[existing_id], False
        if "start" not in body or "end" not in body:
            raise bad_request("Start and End are required.", "ErrorInvalidRequest")
        props: dict[str, Any] = {"attendees": [], "categories": [], "locations": []}
        times = self._apply(None, props, body, user.tenant_id)
        start, stz = times["start"]
        end, etz = times["end"]
        self._check_times(props, start, end, stz, etz)
        if times.get("recurrence") is not None:
            rz = stz
            props["recurrence"] = recurrence.validate(
                times["recurrence"], start.astimezone(zone(rz)).date()
            )
        else:
            props["recurrence"] = None
        props["organizer"] = {"emailAddress": {"name": user.display_name, "address": user.mail}}
        props["responseStatus"] = {"response": "organizer", "time": NO_TIME}
        props.setdefault("location", _location({}))
        when = now()
        event_id = new_event_id()
        self._teams(user, props, event_id)
        ev = Event(
            id=event_id,
            mailbox=user.id,
            props=props,
            start=start,
            end=end,
            start_tz=stz,
            end_tz=etz,
            ical_uid=new_ical_uid(secrets.token_hex(24)),
            created=when,
            modified=when,
            transaction_id=str(txn) if txn is not None else None,
        )
        if "ext" in times:
            self._set_ext(ev, times["ext"])
        self.box(user.id)[ev.id] = ev
        if txn is not None:
            self.transactions[(user.id, str(txn))] = ev.id
        self._emit(ev, "created")
        if props["attendees"]:
            self._sync_copies(ev, user, previous=[], actor=actor, changed=True)
        return ev, True

    # ------------------------------------------------------------------ update
    def update(
        self, user: User, event_id: str, body: dict[str, Any], *, actor: str = "app"
    ) -> tuple[Event, str | None]:
        ev, key = self.resolve(user.id, event_id)
        if key is not None:
            self._update_occurrence(user, ev, key, body, actor=actor)
            return ev, key
        if not ev.is_organizer:
            # Attendees may only change their copy's local fields (categories, showAs, reminders).
            local = {
                k: v
                for k, v in body.items()
                if k
                in {
                    "categories",
                    "showAs",
                    "isReminderOn",
                    "reminderMinutesBeforeStart",
                    "sensitivity",
                }
            }
            props = dict(ev.props)
            self._apply(ev, props, local, user.tenant_id)  # local fields carry no times
            ev.props = props
            if "singleValueExtendedProperties" in body:
                self._set_ext(ev, body["singleValueExtendedProperties"])
            ev.touch(now())
            self._emit(ev, "updated")
            return ev, None
        previous_attendees = [dict(a) for a in ev.props.get("attendees", [])]
        before = {f: ev.props.get(f) for f in MEETING_FIELDS}
        old_times = (ev.start, ev.end, ev.start_tz, ev.end_tz)
        props = dict(ev.props)
        times = self._apply(ev, props, body, user.tenant_id)
        start, stz = times.get("start", (ev.start, ev.start_tz))
        end, etz = times.get("end", (ev.end, ev.end_tz))
        self._check_times(props, start, end, stz, etz)
        if "recurrence" in times:
            rec = times["recurrence"]
            props["recurrence"] = (
                None
                if rec is None
                else recurrence.validate(rec, start.astimezone(zone(stz)).date())
            )
        elif props.get("recurrence") is not None and (start, stz) != (ev.start, ev.start_tz):
            rec = props["recurrence"]
            local_date = start.astimezone(zone(stz)).date()
            if rec["range"]["startDate"] != local_date.isoformat():
                rec = {
                    "pattern": rec["pattern"],
                    "range": {**rec["range"], "startDate": local_date.isoformat()},
                }
                props["recurrence"] = recurrence.validate(rec, local_date)
        self._teams(user, props, ev.id)
        series_shape_changed = props.get("recurrence") != ev.props.get("recurrence") or (
            start,
            end,
        ) != (ev.start, ev.end)
        ev.props = props
        ev.start, ev.end, ev.start_tz, ev.end_tz = start, end, stz, etz
        if series_shape_changed and ev.is_series:
            # Exchange drops exceptions when the pattern or the series times change.
            ev.exceptions.clear()
            ev.cancelled.clear()
        if "ext" in times:
            self._set_ext(ev, times["ext"])
        ev.touch(now())
        self._emit(ev, "updated")
        changed = any(ev.props.get(f) != before[f] for f in MEETING_FIELDS) or old_times != (
            ev.start,
            ev.end,
            ev.start_tz,
            ev.end_tz,
        )
        if ev.props.get("attendees") or previous_attendees:
            only_attendees = set(body) <= {"attendees"}
            self._sync_copies(
                ev,
                user,
                previous=previous_attendees,
                actor=actor,
                changed=changed,
                only_attendees=only_attendees,
            )
        return ev, None

    def _update_occurrence(
        self, user: User, master: Event, key: str, body: dict[str, Any], *, actor: str
    ) -> None:
        if not master.is_organizer:
            raise GraphError(
                403, "ErrorAccessDenied", "Attendees cannot change meeting occurrences."
            )
        exc = master.exceptions.get(key)
        start0 = exc.start if exc else key_time(key)
        end0 = exc.end if exc else key_time(key) + (master.end - master.start)
        props: dict[str, Any] = dict(master.props)
        if exc is not None:
            props.update(exc.props)
        times = self._apply(
            master, props, {k: v for k, v in body.items() if k != "recurrence"}, user.tenant_id
        )
        start, stz = times.get("start", (start0, exc.start_tz if exc else master.start_tz))
        end, etz = times.get("end", (end0, exc.end_tz if exc else master.end_tz))
        self._check_times(props, start, end, stz, etz)
        overrides = {
            k: v for k, v in props.items() if k in body or (exc is not None and k in exc.props)
        }
        overrides.pop("recurrence", None)
        when = now()
        master.exceptions[key] = Instance(overrides, start, end, stz, etz, new_change_key(), when)
        # Graph reports an occurrence edit as an update of the series master [S].
        master.touch(when)
        self._emit(master, "updated")
        for _att, copy in self._copies(master):
            copy.exceptions[key] = Instance(
                dict(overrides), start, end, stz, etz, new_change_key(), when
            )
            copy.touch(when)
            self._emit(copy, "updated")
        if master.props.get("attendees"):
            self._mail(
                "update",
                user,
                master,
                [a["emailAddress"]["address"] for a in master.props["attendees"]],
                actor,
            )

    # ------------------------------------------------------------------ delete / cancel
    def delete(
        self, user: User, event_id: str, *, actor: str = "app", comment: str | None = None
    ) -> None:
        ev, key = self.resolve(user.id, event_id)
        when = now()
        if key is not None:
            ev.exceptions.pop(key, None)
            ev.cancelled.add(key)
            ev.touch(when)
            self._emit(ev, "updated")
            if ev.is_organizer:
                for _, copy in self._copies(ev):
                    copy.exceptions.pop(key, None)
                    copy.cancelled.add(key)
                    copy.touch(when)
                    self._emit(copy, "updated")
                if ev.props.get("attendees"):
                    self._mail("cancellation", user, ev, _addresses(ev), actor, comment=comment)
            return
        del self.box(user.id)[ev.id]
        self._emit(ev, "deleted")
        if ev.is_organizer:
            for att_id, copy in self._copies(ev):
                self._cancel_copy(att_id, copy)
            if ev.props.get("attendees"):
                self._mail("cancellation", user, ev, _addresses(ev), actor, comment=comment)
        elif ev.organizer_ref is not None:
            org = self.box(ev.organizer_ref[0]).get(ev.organizer_ref[1])
            if org is not None:
                org.copies.pop(user.id, None)

    def cancel(self, user: User, event_id: str, comment: str | None, *, actor: str = "app") -> None:
        ev, _ = self.resolve(user.id, event_id)
        if not ev.is_organizer:
            raise bad_request(
                "Your request can't be completed. You need to be an organizer to cancel a meeting."
            )
        self.delete(user, event_id, actor=actor, comment=comment)

    def _cancel_copy(self, att_id: str, copy: Event) -> None:
        if self.cancelled_copies == "remove":
            self.box(att_id).pop(copy.id, None)
            self._emit(copy, "deleted")
            return
        copy.props = dict(copy.props)
        copy.props["isCancelled"] = True
        subject = str(copy.props.get("subject", ""))
        if not subject.startswith("Canceled: "):
            copy.props["subject"] = f"Canceled: {subject}"
        copy.touch(now())
        copy.organizer_ref = None
        self._emit(copy, "updated")

    def rekey(self, ev: Event) -> Event:
        """Give an event a new id (the non-immutable-id switch): old id 404s from now on."""
        box = self.box(ev.mailbox)
        box.pop(ev.id, None)
        self._emit(ev, "deleted")
        ev.id = new_event_id()
        box[ev.id] = ev
        if ev.transaction_id is not None:
            self.transactions[(ev.mailbox, ev.transaction_id)] = ev.id
        for _, copy in self._copies(ev):
            copy.organizer_ref = (ev.mailbox, ev.id)
        if ev.organizer_ref is not None:
            org = self.box(ev.organizer_ref[0]).get(ev.organizer_ref[1])
            if org is not None:
                org.copies[ev.mailbox] = ev.id
        self._emit(ev, "created")
        return ev

    # ------------------------------------------------------------------ responses
    def respond(
        self, user: User, event_id: str, action: str, body: dict[str, Any], *, actor: str = "app"
    ) -> None:
        ev, _ = self.resolve(user.id, event_id)
        if ev.is_organizer:
            raise bad_request(
                "Your request can't be completed. You can't respond to a meeting you organized."
            )
        response = {
            "accept": "accepted",
            "decline": "declined",
            "tentativelyAccept": "tentativelyAccepted",
        }[action]
        when = now()
        ev.props = dict(ev.props)
        ev.props["responseStatus"] = {"response": response, "time": _stamp(when)}
        ev.touch(when)
        self._emit(ev, "updated")
        org_user: User | None = None
        if ev.organizer_ref is not None:
            org = self.box(ev.organizer_ref[0]).get(ev.organizer_ref[1])
            if org is not None:
                org_user = self._get_user(org.mailbox)
                mine = {user.mail.lower(), user.user_principal_name.lower()}
                atts = [dict(a) for a in org.props.get("attendees", [])]
                for a in atts:
                    if a["emailAddress"]["address"].lower() in mine:
                        a["status"] = {"response": response, "time": _stamp(when)}
                org.props = {**org.props, "attendees": atts}
                org.touch(when)
                self._emit(org, "updated")
        if body.get("sendResponse", True):
            to = (
                [org_user.mail]
                if org_user
                else [ev.props.get("organizer", {}).get("emailAddress", {}).get("address", "")]
            )
            self._mail(
                "response", user, ev, to, actor, comment=body.get("comment"), response=response
            )

    # ------------------------------------------------------------------ meeting copies
    def _copies(self, org: Event) -> list[tuple[str, Event]]:
        out = []
        for att_id, copy_id in org.copies.items():
            copy = self.box(att_id).get(copy_id)
            if copy is not None:
                out.append((att_id, copy))
        return out

    def _sync_copies(
        self,
        org: Event,
        organizer: User,
        *,
        previous: list[dict[str, Any]],
        actor: str,
        changed: bool,
        only_attendees: bool = False,
    ) -> None:
        """Put/refresh/cancel copies in attendee mailboxes of the tenant and record the mail."""
        now_addrs = _addresses(org)
        old_addrs = [a["emailAddress"]["address"] for a in previous]
        added = [a for a in now_addrs if a.lower() not in {o.lower() for o in old_addrs}]
        removed = [a for a in old_addrs if a.lower() not in {n.lower() for n in now_addrs}]
        wanted: dict[str, User] = {}
        for addr in now_addrs:
            att = self._find_user(organizer.tenant_id, addr)
            if att is not None and att.id != organizer.id:
                wanted[att.id] = att
        when = now()
        for att_id in wanted:
            copy_id = org.copies.get(att_id)
            copy = self.box(att_id).get(copy_id) if copy_id else None
            shared = {f: org.props.get(f) for f in MEETING_FIELDS}
            if copy is None:
                props = {
                    **shared,
                    "categories": [],
                    "organizer": org.props["organizer"],
                    "responseStatus": {"response": "notResponded", "time": NO_TIME},
                }
                copy = Event(
                    id=new_event_id(),
                    mailbox=att_id,
                    props=props,
                    start=org.start,
                    end=org.end,
                    start_tz=org.start_tz,
                    end_tz=org.end_tz,
                    ical_uid=org.ical_uid,
                    created=when,
                    modified=when,
                    is_organizer=False,
                    organizer_ref=(org.mailbox, org.id),
                )
                copy.exceptions = {k: _clone(v) for k, v in org.exceptions.items()}
                copy.cancelled = set(org.cancelled)
                self.box(att_id)[copy.id] = copy
                org.copies[att_id] = copy.id
                self._emit(copy, "created")
            elif changed:
                copy.props = {**copy.props, **shared}
                copy.start, copy.end, copy.start_tz, copy.end_tz = (
                    org.start,
                    org.end,
                    org.start_tz,
                    org.end_tz,
                )
                copy.exceptions = {k: _clone(v) for k, v in org.exceptions.items()}
                copy.cancelled = set(org.cancelled)
                copy.touch(when)
                self._emit(copy, "updated")
        for att_id in list(org.copies):
            if att_id not in wanted:
                copy = self.box(att_id).get(org.copies.pop(att_id))
                if copy is not None:
                    self._cancel_copy(att_id, copy)
        if added:
            self._mail("invitation", organizer, org, added, actor)
        if removed:
            self._mail("cancellation", organizer, org, removed, actor)
        if changed and not only_attendees:
            others = [a for a in now_addrs if a not in added]
            if others:
                self._mail("update", organizer, org, others, actor)

    def _mail(
        self, kind: str, sender: User, ev: Event, to: list[str], actor: str, **extra: Any
    ) -> None:
        prefix = {"cancellation": "Canceled: ", "update": "", "invitation": "", "response": ""}[
            kind
        ]
        if kind == "response":
            prefix = {
                "accepted": "Accepted: ",
                "declined": "Declined: ",
                "tentativelyAccepted": "Tentative: ",
            }[extra["response"]]
        subject = str(ev.props.get("subject", ""))
        self._send_mail(
            {
                "kind": kind,
                "from": sender.mail,
                "to": list(to),
                "subject": prefix + subject.removeprefix("Canceled: "),
                "iCalUId": ev.ical_uid,
                "eventId": ev.id,
                "mailbox": ev.mailbox,
                "actor": actor,
                "sentDateTime": _stamp(now()),
                **{k: v for k, v in extra.items() if v is not None},
            }
        )

    def _emit(self, ev: Event, change_type: str) -> None:
        self._on_change(Change(ev.mailbox, ev.id, change_type, ev.change_key))


def _addresses(ev: Event) -> list[str]:
    return [a["emailAddress"]["address"] for a in ev.props.get("attendees", [])]


def _clone(inst: Instance) -> Instance:
    return Instance(
        dict(inst.props),
        inst.start,
        inst.end,
        inst.start_tz,
        inst.end_tz,
        inst.change_key,
        inst.modified,
    )


def _location(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("location must be an object.")
    loc = {"displayName": "", "locationType": "default", "uniqueIdType": "unknown"}
    loc.update({k: v for k, v in value.items() if not k.startswith("@")})
    if loc.get("locationEmailAddress") and loc["locationType"] == "default":
        loc["locationType"] = "conferenceRoom"
    return loc


def _stamp(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}0Z"
