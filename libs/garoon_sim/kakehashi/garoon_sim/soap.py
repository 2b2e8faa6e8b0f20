"""SOAP routes: `/g/cbpapi/{app}/api.csp` (cloud) and `/g/cbpapi/{app}/api` (package style)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime

from aiohttp import web

from .errors import GaroonError, bad_param, login_failed, not_found_event
from .model import Event, User
from .rest import SOAP_ACTION_KEY, USER_KEY, sim_of
from .simulator import GaroonSimulator
from .soap_xml import (
    SoapRequest,
    child,
    children,
    envelope,
    event_from_xml,
    event_to_xml,
    fault,
    parse_envelope,
    parse_utc,
)

Handler = Callable[[GaroonSimulator, User, SoapRequest], ET.Element]


def _returns() -> ET.Element:
    return ET.Element("returns")


def _window(p: ET.Element) -> tuple[datetime, datetime]:
    start, end = parse_utc(p.get("start"), "start"), parse_utc(p.get("end"), "end")
    if start >= end:
        raise bad_param("end", "end must be after start.")
    return start, end


def _visible_in_window(
    sim: GaroonSimulator, user: User, events: list[Event], p: ET.Element
) -> list[Event]:
    start, end = _window(p)
    seen: dict[int, Event] = {}
    for occ in sim.occurrences_in(events, start, end):
        if sim.can_view(user.id, occ.event):
            seen.setdefault(occ.event.id, occ.event)
    return sorted(seen.values(), key=lambda e: e.id)


def _events_out(sim: GaroonSimulator, events: list[Event]) -> ET.Element:
    out = _returns()
    for ev in events:
        out.append(event_to_xml(sim, ev))
    return out


def get_events(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    # SOAP returns a series once, with repeat_info (clients expand it themselves).
    return _events_out(
        sim, _visible_in_window(sim, user, sim.events_of_user(user.id), req.parameters)
    )


def get_events_by_target(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    p = req.parameters
    events: list[Event] = []
    for kind in ("user", "group", "facility"):
        for t in children(p, kind):
            ident = int(t.get("id", "0"))
            if kind == "user":
                events += sim.events_of_user(ident)
            elif kind == "group":
                events += [
                    e
                    for e in sim.events.values()
                    if any(m.type == "ORGANIZATION" and m.id == ident for m in e.attendees)
                ]
            else:
                events += [e for e in sim.events.values() if ident in e.facilities]
    return _events_out(
        sim, _visible_in_window(sim, user, list({e.id: e for e in events}.values()), p)
    )


def get_events_by_id(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    ids = [(c.text or "").strip() for c in children(req.parameters, "event_id")]
    return _events_out(sim, [sim.get_event(user.id, i) for i in ids])


def get_event_versions(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    """Known {id, version} + window -> add / modify / remove entries for the caller's schedule."""
    p = req.parameters
    known = {c.get("id", ""): c.get("version", "") for c in children(p, "event_item")}
    current = {str(e.id): e for e in _visible_in_window(sim, user, sim.events_of_user(user.id), p)}
    out = _returns()
    for eid, ev in current.items():
        if eid not in known:
            op = "add"
        elif known[eid] != str(ev.version):
            op = "modify"
        else:
            continue
        ET.SubElement(out, "event_item", {"id": eid, "version": str(ev.version), "operation": op})
    for eid, version in known.items():
        if eid not in current:
            ET.SubElement(out, "event_item", {"id": eid, "version": version, "operation": "remove"})
    return out


def _schedule_events(req: SoapRequest) -> list[ET.Element]:
    items = children(req.parameters, "schedule_event")
    if not items:
        raise bad_param("schedule_event", "At least one schedule_event is required.")
    return items


def add_events(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    drafts = [event_from_xml(sim, user.id, el) for el in _schedule_events(req)]
    return _events_out(sim, [sim.insert_event(user.id, d) for d in drafts])


def modify_events(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    """Overwrites the whole event: items left out become empty [doc]."""
    saved = []
    for el in _schedule_events(req):
        old = sim.editable_event(user.id, el.get("id", ""))
        new = event_from_xml(sim, user.id, el)
        new.id, new.created_at, new.creator, new.version, new.datastore = (
            old.id,
            old.created_at,
            old.creator,
            old.version,
            old.datastore,
        )
        saved.append(sim.save_event(user.id, new))
    return _events_out(sim, saved)


def remove_events(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    for c in children(req.parameters, "event_id"):
        sim.delete_event(user.id, (c.text or "").strip())
    return _returns()


def _op(req: SoapRequest) -> tuple[ET.Element, str, date | None]:
    op = child(req.parameters, "operation")
    if op is None:
        raise bad_param("operation", "operation is required.")
    kind = op.get("type", "")
    if kind not in ("this", "after", "all"):
        raise bad_param("type", "type must be this, after or all.")
    raw = op.get("date")
    try:
        day = date.fromisoformat(raw[:10]) if raw else None
    except ValueError as exc:
        raise bad_param("date") from exc
    if kind != "all" and day is None:
        raise bad_param("date", "date is required for this/after.")
    return op, kind, day


def modify_repeat_events(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    op, kind, day = _op(req)
    el = child(op, "schedule_event")
    if el is None:
        raise bad_param("schedule_event", "operation/schedule_event is required.")
    series = sim.editable_event(user.id, el.get("id", ""))
    if series.repeat is None:
        raise bad_param("schedule_event", "The event is not a repeating event.")
    if day is not None:
        sim.occurrence_on(series, day)
    new = event_from_xml(sim, user.id, el)
    if kind == "after" and new.repeat is None:
        raise bad_param("repeat_info", "An 'after' edit needs the repeat_info of the new series.")
    original, modified = sim.modify_repeat(user.id, series.id, kind, day, new)
    out = _returns()
    result = ET.SubElement(out, "result")
    if original is not None:
        ET.SubElement(result, "original").append(event_to_xml(sim, original))
    ET.SubElement(result, "modified").append(event_to_xml(sim, modified))
    return out


def remove_from_repeat(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    op, kind, day = _op(req)
    series = sim.editable_event(user.id, op.get("event_id", ""))
    if kind != "all" and day is not None:
        sim.occurrence_on(series, day)
    remaining = sim.remove_from_repeat(user.id, series.id, kind, day)
    return _events_out(sim, [remaining] if remaining else [])


def get_profiles(sim: GaroonSimulator, user: User, req: SoapRequest) -> ET.Element:
    out = _returns()
    system = ET.SubElement(out, "system_profile", {"event_repeat_max_time": "12"})
    for menu in sim.menus:
        ET.SubElement(system, "plan_menu").text = menu
    return out


HANDLERS: dict[str, Handler] = {
    "ScheduleGetEvents": get_events,
    "ScheduleGetEventsByTarget": get_events_by_target,
    "ScheduleGetEventsById": get_events_by_id,
    "ScheduleGetEventVersions": get_event_versions,
    "ScheduleAddEvents": add_events,
    "ScheduleModifyEvents": modify_events,
    "ScheduleRemoveEvents": remove_events,
    "ScheduleModifyRepeatEvents": modify_repeat_events,
    "ScheduleRemoveEventsFromRepeatEvent": remove_from_repeat,
    "ScheduleGetProfiles": get_profiles,
}


async def soap_endpoint(request: web.Request) -> web.Response:
    sim = sim_of(request)
    try:
        req = parse_envelope(await request.read())
        request[SOAP_ACTION_KEY] = req.action
        handler = HANDLERS.get(req.action)
        if handler is None or request.match_info["app"] != "schedule":
            raise GaroonError(
                400, "GRN_CMMN_00002", f"Unknown action {req.action}.", "Not simulated."
            )
        user = sim.authenticate(req.username or "", req.password or "")
        if user is None:
            raise login_failed()
        request[USER_KEY] = user.code
        returns = handler(sim, user, req)
    except GaroonError as err:
        if err.code == "GRN_SCHD_13001":
            err = not_found_event()
        # SOAP 1.2: a Sender fault travels with HTTP 500.
        return web.Response(
            body=fault(err), status=500, content_type="application/soap+xml", charset="utf-8"
        )
    return web.Response(
        body=envelope(req.action, returns), content_type="application/soap+xml", charset="utf-8"
    )


def add_routes(app: web.Application, prefix: str) -> None:
    app.router.add_post(f"{prefix}/cbpapi/{{app}}/api.csp", soap_endpoint)
    app.router.add_post(f"{prefix}/cbpapi/{{app}}/api", soap_endpoint)
