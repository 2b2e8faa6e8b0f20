"""Actions "as a person in the Garoon screen". Each one raises the JS event Garoon raises,
which our customization forwards as a browser hint."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from .errors import bad_param
from .model import Event, Member, User
from .rest_input import apply_rest_patch, event_from_rest
from .rules import build_rule

if TYPE_CHECKING:
    from .simulator import GaroonSimulator

RANGES = ("THIS_ONLY", "ON_AND_AFTER", "ALL")
_SCOPE = {"THIS_ONLY": "this", "ON_AND_AFTER": "after", "ALL": "all"}


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise bad_param("date") from exc


def _range(value: str) -> str:
    if value not in RANGES:
        raise bad_param("range", f"range must be one of {', '.join(RANGES)}.")
    return value


def _hint_id(sim: GaroonSimulator, original: Event, result: Event) -> int:
    return result.id if sim.settings.hint_split_event_id == "new" else original.id


def create(sim: GaroonSimulator, user: User, body: dict[str, Any]) -> Event:
    """The create screen (or the quick popup with "quick": true). "repeat" takes SOAP condition
    attributes; the screen's start/end give the first day's times."""
    data = dict(body)
    repeat = data.pop("repeat", None)
    quick = bool(data.pop("quick", False))
    data.setdefault("eventType", "REGULAR")
    if not data.get("attendees") and not data.get("facilities"):
        data["attendees"] = [{"type": "USER", "id": str(user.id)}]
    if repeat is not None:
        data["eventType"] = "REGULAR"
    ev = event_from_rest(sim, user.id, data)
    if repeat is not None:
        attrs = {k: None if v is None else str(v) for k, v in dict(repeat).items()}
        if not ev.is_all_day:
            attrs.setdefault("start_time", ev.start.time().isoformat())
            if ev.end is not None:
                attrs.setdefault("end_time", ev.end.astimezone(ev.start.tzinfo).time().isoformat())
        attrs.setdefault("start_date", ev.start.date().isoformat())
        ev.repeat = build_rule(attrs, sim.settings)
        ev.event_type = "REPEATING"
    ev = sim.insert_event(user.id, ev)
    kind = "quick.create" if quick else "create"
    sim.hints.emit(f"schedule.event.{kind}.submit.success", ev.id, user.id, user.code)
    return ev


def edit(
    sim: GaroonSimulator,
    user: User,
    event_id: int | str,
    changes: dict[str, Any],
    range_: str,
    date_: str | None,
    quick: bool,
) -> Event:
    """The edit screen, or drag-and-drop ("quick"). Fields use the REST names."""
    range_ = _range(range_)
    ev = sim.editable_event(user.id, event_id)
    kind = "quick.edit" if quick else "edit"
    if ev.repeat is None or range_ == "ALL":
        result = sim.save_event(user.id, apply_rest_patch(sim, ev, changes, require_start=False))
        sim.hints.emit(f"schedule.event.{kind}.submit.success", ev.id, user.id, user.code, "ALL")
        return result
    result = _split(sim, user, ev, _SCOPE[range_], _day(date_), changes, as_attendance=False)
    sim.hints.emit(
        f"schedule.event.{kind}.submit.success",
        _hint_id(sim, ev, result),
        user.id,
        user.code,
        range_,
    )
    return result


def _split(
    sim: GaroonSimulator,
    user: User,
    ev: Event,
    scope: str,
    day: date | None,
    changes: dict[str, Any],
    *,
    as_attendance: bool,
) -> Event:
    if day is None:
        raise bad_param("date", "date is required for THIS_ONLY / ON_AND_AFTER.")
    if scope == "this":
        occ = sim.occurrence_on(ev, day)
        base = ev.clone()
        base.repeat, base.event_type = None, "REGULAR"
        base.start, base.end = occ.start, occ.end
        new = apply_rest_patch(sim, base, changes, require_start=False)
    else:
        sim.occurrence_on(ev, day)
        new = apply_rest_patch(sim, ev, changes, require_start=False)
    _, result = sim.modify_repeat(user.id, ev.id, scope, day, new, as_attendance=as_attendance)
    return result


def delete(
    sim: GaroonSimulator, user: User, event_id: int | str, range_: str, date_: str | None
) -> None:
    range_ = _range(range_)
    ev = sim.editable_event(user.id, event_id)
    if ev.repeat is None or range_ == "ALL":
        sim.delete_event(user.id, ev.id)
        range_ = "ALL"  # non-repeating events report ALL
    else:
        day = _day(date_)
        if day is None:
            raise bad_param("date", "date is required for THIS_ONLY / ON_AND_AFTER.")
        sim.occurrence_on(ev, day)
        sim.remove_from_repeat(user.id, ev.id, _SCOPE[range_], day)
    sim.hints.emit("schedule.event.delete.submit.success", ev.id, user.id, user.code, range_)


def attend(
    sim: GaroonSimulator,
    user: User,
    event_id: int | str,
    range_: str,
    date_: str | None,
    *,
    join: bool,
) -> Event:
    """参加する / 抜ける on the detail screen."""
    range_ = _range(range_)
    ev = sim.get_event(user.id, event_id)
    me = Member("USER", user.id)
    present = any(m.type == "USER" and m.id == user.id for m in ev.attendees)
    if join == present:
        raise bad_param("attendees", "Already attending." if join else "Not attending.")
    attendees = [m for m in ev.attendees if not (m.type == "USER" and m.id == user.id)]
    if join:
        attendees.append(me)
    change = {"attendees": [{"type": m.type, "id": str(m.id)} for m in attendees]}
    event_type = (
        "schedule.event.attend.submit.success" if join else "schedule.event.leave.submit.success"
    )
    if ev.repeat is None or range_ == "ALL":
        new = apply_rest_patch(sim, ev, change, require_start=False)
        result = sim.save_event(user.id, new)
        # Non-repeating events report THIS_ONLY for attend/leave [doc].
        sim.hints.emit(
            event_type, ev.id, user.id, user.code, "THIS_ONLY" if ev.repeat is None else "ALL"
        )
        return result
    result = _split(sim, user, ev, _SCOPE[range_], _day(date_), change, as_attendance=True)
    sim.hints.emit(event_type, _hint_id(sim, ev, result), user.id, user.code, range_)
    return result


ANSWERS = ("ACCEPTED", "DECLINED")


def respond(
    sim: GaroonSimulator, user: User, event_id: int | str, status: str, comment: str
) -> Event:
    """出欠確認: an attendee answers the attendance check on the detail screen (the whole
    event). The screen fires the same hint as an edit; the event's version moves on."""
    if status not in ANSWERS:
        raise bad_param("status", f"status must be one of {', '.join(ANSWERS)}.")
    ev = sim.get_event(user.id, event_id)
    if not ev.use_attendance_check:
        raise bad_param("useAttendanceCheck", "This event does not ask for responses.")
    new = ev.clone()
    mine = [m for m in new.attendees if m.type == "USER" and m.id == user.id]
    if not mine:
        raise bad_param("attendees", "Not attending.")
    for m in mine:
        m.status, m.comment = status, comment
    result = sim.save_event(user.id, new)
    sim.hints.emit("schedule.event.edit.submit.success", ev.id, user.id, user.code, "ALL")
    return result


def teams(sim: GaroonSimulator, user: User, event_id: int | str, invitees: list[str]) -> None:
    """Our customization's "Create Teams meeting" button on the detail screen."""
    ev = sim.get_event(user.id, event_id)
    sim.hints.emit("kakehashi.teams.create", ev.id, user.id, user.code, None, list(invitees))
