"""SOAP 1.2 envelopes and `schedule_event` XML: parse (defusedxml) and build."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeET

from .errors import GaroonError, bad_param, invalid_end
from .model import Event, Member
from .repeat import ALL_DAY_END
from .rest_input import zone
from .rules import build_rule, rule_attrs

if TYPE_CHECKING:
    from .simulator import GaroonSimulator

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
SCHEDULE_NS = "http://wsdl.cybozu.co.jp/schedule/2008"
SCHEDULE_TYPES_NS = "http://schemas.cybozu.co.jp/schedule/2008"
_PUBLIC = {"public": "PUBLIC", "private": "PRIVATE", "qualified": "PRIVATE"}
_TYPES = {"normal": "REGULAR", "repeat": "REPEATING", "banner": "ALL_DAY"}
_TYPES_BACK = {v: k for k, v in _TYPES.items()}


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if local(c.tag) == name), None)


def children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if local(c.tag) == name]


def text_of(el: ET.Element | None, *path: str) -> str | None:
    for name in path:
        if el is None:
            return None
        el = child(el, name)
    return None if el is None else (el.text or "").strip()


@dataclass
class SoapRequest:
    action: str
    username: str | None
    password: str | None
    parameters: ET.Element


def parse_envelope(raw: bytes) -> SoapRequest:
    try:
        root = SafeET.fromstring(raw)
    except Exception as exc:  # defusedxml raises several types for hostile or broken XML
        raise GaroonError(400, "GRN_CMMN_00001", "Invalid SOAP request.", str(exc)) from exc
    header = child(root, "Header")
    body = child(root, "Body")
    if local(root.tag) != "Envelope" or body is None or len(body) == 0:
        raise GaroonError(400, "GRN_CMMN_00001", "Invalid SOAP request.", "No SOAP Envelope/Body.")
    op = body[0]
    action = text_of(header, "Action") or local(op.tag)
    params = child(op, "parameters")
    return SoapRequest(
        action=action,
        username=text_of(header, "Security", "UsernameToken", "Username"),
        password=text_of(header, "Security", "UsernameToken", "Password"),
        parameters=params if params is not None else ET.Element("parameters"),
    )


def envelope(action: str, returns: ET.Element) -> bytes:
    ET.register_namespace("soap", SOAP_NS)
    ET.register_namespace("schedule", SCHEDULE_NS)
    env = ET.Element(f"{{{SOAP_NS}}}Envelope")
    header = ET.SubElement(env, f"{{{SOAP_NS}}}Header")
    for name, value in (
        ("vendor", "Cybozu"),
        ("product", "Garoon"),
        ("action", f"{action}Response"),
    ):
        ET.SubElement(header, name).text = value
    body = ET.SubElement(env, f"{{{SOAP_NS}}}Body")
    resp = ET.SubElement(body, f"{{{SCHEDULE_NS}}}{action}Response")
    resp.append(returns)
    data: bytes = ET.tostring(env, encoding="utf-8", xml_declaration=True)
    return data


def fault(err: GaroonError) -> bytes:
    ET.register_namespace("soap", SOAP_NS)
    env = ET.Element(f"{{{SOAP_NS}}}Envelope")
    body = ET.SubElement(env, f"{{{SOAP_NS}}}Body")
    f = ET.SubElement(body, f"{{{SOAP_NS}}}Fault")
    code = ET.SubElement(f, f"{{{SOAP_NS}}}Code")
    ET.SubElement(code, f"{{{SOAP_NS}}}Value").text = "soap:Sender"
    reason = ET.SubElement(f, f"{{{SOAP_NS}}}Reason")
    ET.SubElement(
        reason, f"{{{SOAP_NS}}}Text", {"{http://www.w3.org/XML/1998/namespace}lang": "en"}
    ).text = err.message
    detail = ET.SubElement(f, f"{{{SOAP_NS}}}Detail")
    ET.SubElement(detail, "code").text = err.code
    ET.SubElement(detail, "diagnosis").text = err.message
    ET.SubElement(detail, "cause").text = err.cause
    ET.SubElement(detail, "counter_measure").text = err.counter_measure
    data: bytes = ET.tostring(env, encoding="utf-8", xml_declaration=True)
    return data


# ---------------------------------------------------------------------- times
def parse_utc(value: str | None, name: str) -> datetime:
    if not value:
        raise bad_param(name, f"{name} is required.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_param(name) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo("UTC"))


def utc_z(value: datetime) -> str:
    return value.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bool(value: str | None) -> bool:
    return (value or "").lower() == "true"


# ---------------------------------------------------------------------- schedule_event in
def _members(
    sim: GaroonSimulator, el: ET.Element | None, wrapper: str
) -> tuple[list[Member], list[int]]:
    people: list[Member] = []
    facilities: list[int] = []
    if el is None:
        return people, facilities
    for m in children(el, wrapper):
        for item in m:
            kind, ident = local(item.tag), item.get("id", "")
            if not ident.isdigit():
                raise bad_param(kind, f"{kind} id {ident!r} is invalid.")
            n = int(ident)
            pool: set[int] = {
                "user": set(sim.users),
                "organization": set(sim.organizations),
                "facility": set(sim.facilities),
            }.get(kind, set())
            if n not in pool:
                raise bad_param(kind, f"{kind} {n} does not exist.", "GRN_REST_API_00206")
            if kind == "facility":
                facilities.append(n)
            else:
                people.append(Member(kind.upper(), n))
    return people, facilities


def event_from_xml(sim: GaroonSimulator, actor: int, el: ET.Element) -> Event:
    """A draft event from a SOAP `schedule_event` (add, and the overwrite-style modify)."""
    kind = _TYPES.get(el.get("event_type", "normal"))
    if kind is None:
        raise bad_param("event_type", "event_type must be normal, repeat or banner.")
    tz_name = el.get("timezone") or "Asia/Tokyo"
    tz = zone(tz_name, "timezone")
    end_tz_name = el.get("end_timezone") or tz_name
    end_tz = zone(end_tz_name, "end_timezone")
    all_day = _bool(el.get("allday"))
    start_only = _bool(el.get("start_only"))
    attendees, facilities = _members(sim, child(el, "members"), "member")
    watchers, _ = _members(sim, child(el, "observers"), "observer")
    if not attendees and not facilities:
        raise bad_param("members", "Specify at least one member or facility.")
    when = child(el, "when")
    repeat_el = child(el, "repeat_info")
    start: datetime
    end: datetime | None
    rule = None
    if kind == "REPEATING":
        cond = child(repeat_el, "condition") if repeat_el is not None else None
        if cond is None:
            raise bad_param("repeat_info", "repeat_info/condition is required for a repeat event.")
        rule = build_rule(dict(cond.attrib), sim.settings)
        excl = child(repeat_el, "exclusive_datetimes") if repeat_el is not None else None
        for x in children(excl, "exclusive_datetime") if excl is not None else []:
            rule.exclusions.append(
                (
                    parse_utc(x.get("start"), "start").astimezone(tz),
                    parse_utc(x.get("end"), "end").astimezone(tz),
                )
            )
        start, end = datetime.combine(rule.start_date, rule.start_time or time(0), tz), None
    elif kind == "ALL_DAY":
        d = child(when, "date") if when is not None else None
        if d is None:
            raise bad_param("when", "A banner event needs when/date.")
        try:
            first = date.fromisoformat(d.get("start", "")[:10])
            last = date.fromisoformat((d.get("end") or d.get("start") or "")[:10])
        except ValueError as exc:
            raise bad_param("when/date") from exc
        start, end = (
            datetime.combine(first, time(0), tz),
            datetime.combine(last, ALL_DAY_END, end_tz),
        )
    else:
        dt = child(when, "datetime") if when is not None else None
        if dt is None:
            raise bad_param("when", "A normal event needs when/datetime.")
        start = parse_utc(dt.get("start"), "start").astimezone(tz)
        end = (
            None
            if start_only or not dt.get("end")
            else parse_utc(dt.get("end"), "end").astimezone(end_tz)
        )
        if all_day:
            last = (end or start).date()
            start = datetime.combine(start.date(), time(0), tz)
            end = datetime.combine(last, ALL_DAY_END, end_tz)
    if end is not None and end < start:
        raise invalid_end()
    customer = child(el, "customer")
    company = {}
    if customer is not None:
        names = {
            "name": "name",
            "zipcode": "zipCode",
            "address": "address",
            "route": "route",
            "route_time": "routeTime",
            "route_fare": "routeFare",
            "phone": "phone",
        }
        company = {
            rest: customer.get(soap, "") for soap, rest in names.items() if customer.get(soap)
        }
    ev = sim.draft(
        actor,
        start,
        tz_name,
        event_type=kind,
        end=end,
        end_tz=end_tz_name,
        menu=el.get("plan", ""),
        subject=el.get("detail", ""),
        notes=el.get("description", "") or text_of(el, "description") or "",
        visibility=_PUBLIC.get(el.get("public_type", "public"), "PUBLIC"),
        is_all_day=all_day and kind == "REGULAR",
        is_start_only=start_only and end is None and kind == "REGULAR",
        attendees=attendees,
        facilities=facilities,
        watchers=watchers,
        company_info=company,
        facility_using_purpose=el.get("facility_using_purpose", ""),
        repeat=rule,
    )
    return ev


# ---------------------------------------------------------------------- schedule_event out
def event_to_xml(sim: GaroonSimulator, ev: Event) -> ET.Element:
    el = ET.Element(
        f"{{{SCHEDULE_TYPES_NS}}}schedule_event",
        {
            "id": str(ev.id),
            "event_type": _TYPES_BACK[ev.event_type],
            "version": str(ev.version),
            "public_type": ev.visibility.lower(),
            "plan": ev.menu,
            "detail": ev.subject,
            "description": ev.notes,
            "timezone": ev.start_tz,
            "end_timezone": ev.end_tz,
            "allday": str(ev.is_all_day).lower(),
            "start_only": str(ev.is_start_only).lower(),
        },
    )
    ns = f"{{{SCHEDULE_TYPES_NS}}}"
    members = ET.SubElement(el, f"{ns}members")
    for order, m in enumerate(ev.attendees):
        member = ET.SubElement(members, f"{ns}member")
        obj = sim.users.get(m.id) if m.type == "USER" else sim.organizations.get(m.id)
        ET.SubElement(
            member,
            f"{ns}{m.type.lower()}",
            {"id": str(m.id), "name": obj.name if obj else "", "order": str(order)},
        )
    for f in ev.facilities:
        member = ET.SubElement(members, f"{ns}member")
        fac = sim.facilities.get(f)
        ET.SubElement(member, f"{ns}facility", {"id": str(f), "name": fac.name if fac else ""})
    if ev.watchers:
        observers = ET.SubElement(el, f"{ns}observers")
        for w in ev.watchers:
            ET.SubElement(
                ET.SubElement(observers, f"{ns}observer"),
                f"{ns}{w.type.lower()}",
                {"id": str(w.id)},
            )
    if ev.company_info:
        names = {
            "name": "name",
            "zipCode": "zipcode",
            "address": "address",
            "route": "route",
            "routeTime": "route_time",
            "routeFare": "route_fare",
            "phone": "phone",
        }
        ET.SubElement(
            el, f"{ns}customer", {names[k]: v for k, v in ev.company_info.items() if k in names}
        )
    if ev.repeat is not None:
        info = ET.SubElement(el, f"{ns}repeat_info")
        ET.SubElement(info, f"{ns}condition", rule_attrs(ev.repeat, sim.settings))
        if ev.repeat.exclusions:
            excl = ET.SubElement(info, f"{ns}exclusive_datetimes")
            for s, e in sorted(ev.repeat.exclusions):
                ET.SubElement(
                    excl, f"{ns}exclusive_datetime", {"start": s.isoformat(), "end": e.isoformat()}
                )
    else:
        when = ET.SubElement(el, f"{ns}when")
        if ev.event_type == "ALL_DAY":
            end_day = (ev.end or ev.start).astimezone(ZoneInfo(ev.end_tz)).date()
            ET.SubElement(
                when,
                f"{ns}date",
                {"start": ev.start.date().isoformat(), "end": end_day.isoformat()},
            )
        else:
            attrs = {"start": utc_z(ev.start)}
            if ev.end is not None:
                attrs["end"] = utc_z(ev.end)
            for f in ev.facilities[:1]:
                attrs["facility_id"] = str(f)
            ET.SubElement(when, f"{ns}datetime", attrs)
    return el
