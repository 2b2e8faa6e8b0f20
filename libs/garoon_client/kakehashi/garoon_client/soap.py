"""Garoon SOAP 1.2: building request envelopes and reading answers (pure functions, no I/O).

Requests are built with xml.etree (so every value is escaped by the serializer); answers are
parsed with defusedxml (no entity expansion or external DTDs). Namespaces are ignored when
reading, because Garoon qualifies some child elements and not others.

Schedule events are exchanged as plain dicts, in both directions (the shape the engine reads is
the shape it writes). All values are strings as on the wire; when building, bool/int/date/time/
datetime values are also accepted (bools become "true"/"false", aware datetimes UTC "...Z").

    {
      # every attribute of <schedule_event>, verbatim:
      "id": "12", "version": "1732150000", "event_type": "normal|repeat|banner|temporary",
      "public_type": "public|private|qualified", "plan": "menu", "detail": "subject",
      "description": "notes", "timezone": "Asia/Tokyo", "end_timezone": "Asia/Tokyo",
      "allday": "false", "start_only": "false", ...,
      "members":   [{"type": "user|organization|facility", "id": "1", "name": ..., "order": ...}],
      "observers": [{"type": "user|organization|role", "id": "3", ...}],
      "customer":  {"name": ..., "zipcode": ..., "address": ..., "map": ..., "route": ...,
                    "route_time": ..., "route_fare": ..., "phone": ...},
      "repeat_info": {
        "condition": {"type": "day|weekday|week|1stweek|...|lastweek|month",
                      "start_date": "2026-05-01", "end_date": "2026-07-31",
                      "start_time": "10:00:00", "end_time": "11:00:00",   # local wall clock
                      "day": "15", "week": "1"},                          # week 0 = Sunday
        "exclusive_datetimes": [{"start": "2026-05-13T00:00:00+09:00",
                                 "end": "2026-05-14T00:00:00+09:00"}],
      },
      "when": {"datetime": [{"start": "2026-05-01T01:00:00Z", "end": "...Z",
                             "facility_id": "..."}],                      # UTC
               "date": [{"start": "2026-05-01", "end": "2026-05-02"}]},     # banner events
      "follows": [{...attributes..., "creator": {...}}],                   # comments
      # any other child element: {"<name>": [generic dict]}, where a generic dict holds the
      # attributes, "_text" (if any) and its children as lists under their local names.
    }

Keys that are absent on the wire are absent from the dict.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import defusedxml.ElementTree as SafeET

from kakehashi.garoon_client.errors import GaroonError, ProtocolError, error_for

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"
SCHEDULE_NS = "http://schemas.cybozu.co.jp/schedule/2008"
CONTENT_TYPE = "text/xml; charset=UTF-8"  # what Garoon documents for its SOAP 1.2 API

# The XSD sequence of EventType children; building emits them in this order.
_EVENT_CHILDREN = ("members", "observers", "customer", "repeat_info", "when", "follows")
_MEMBER_LISTS = {"members": "member", "observers": "observer"}

ET.register_namespace("soap", SOAP_NS)


# ---------------------------------------------------------------- values


def wire(value: Any) -> str:
    """One attribute value as Garoon writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime; pass a timezone-aware value")
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _attrs(values: Mapping[str, Any], *, skip: Iterable[str] = ()) -> dict[str, str]:
    skipped = set(skip)
    return {
        k: wire(v)
        for k, v in values.items()
        if k not in skipped and v is not None and not isinstance(v, Mapping | list | tuple)
    }


# ---------------------------------------------------------------- building


def envelope(
    action: str,
    parameters: ET.Element,
    *,
    username: str,
    password: str,
    now: datetime | None = None,
    locale: str | None = None,
) -> bytes:
    """A complete SOAP 1.2 request: Action, Security/UsernameToken, Timestamp, then the body."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    env = ET.Element(f"{{{SOAP_NS}}}Envelope")
    header = ET.SubElement(env, f"{{{SOAP_NS}}}Header")
    ET.SubElement(header, "Action").text = action
    token = ET.SubElement(ET.SubElement(header, "Security"), "UsernameToken")
    ET.SubElement(token, "Username").text = username
    ET.SubElement(token, "Password").text = password
    stamp = ET.SubElement(header, "Timestamp")
    ET.SubElement(stamp, "Created").text = wire(now)
    # Garoon only needs the window to contain its own clock; a day tolerates skew.
    ET.SubElement(stamp, "Expires").text = wire(now + timedelta(days=1))
    if locale:
        ET.SubElement(header, "Locale").text = locale
    body = ET.SubElement(env, f"{{{SOAP_NS}}}Body")
    ET.SubElement(body, action).append(parameters)
    xml = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(env, encoding="unicode")
    return xml.encode("utf-8")


def parameters(attrs: Mapping[str, Any] | None = None) -> ET.Element:
    return ET.Element("parameters", _attrs(attrs or {}))


def _child(parent: ET.Element, name: str, attrs: Mapping[str, Any] | None = None) -> ET.Element:
    return ET.SubElement(parent, f"{{{SCHEDULE_NS}}}{name}", _attrs(attrs or {}))


def event_element(event: Mapping[str, Any], *, tag: str = "schedule_event") -> ET.Element:
    """`<schedule_event>` from the dict shape in the module docstring."""
    attrs = _attrs(event, skip=_EVENT_CHILDREN)
    elem = ET.Element(tag, attrs)
    for name in _EVENT_CHILDREN:
        value = event.get(name)
        if value is None:
            continue
        if name in _MEMBER_LISTS:
            group = _child(elem, name)
            for member in value:
                wrapper = _child(group, _MEMBER_LISTS[name])
                who = {k: v for k, v in member.items() if k != "type"}
                _child(wrapper, str(member["type"]), who)
        elif name == "customer":
            _child(elem, name, value)
        elif name == "repeat_info":
            info = _child(elem, name)
            _child(info, "condition", value.get("condition") or {})
            excl = _child(info, "exclusive_datetimes")
            for span in value.get("exclusive_datetimes") or ():
                _child(excl, "exclusive_datetime", span)
        elif name == "when":
            when = _child(elem, name)
            for kind in ("datetime", "date"):
                for span in value.get(kind) or ():
                    _child(when, kind, span)
        elif name == "follows":
            follows = _child(elem, name)
            for follow in value:
                _child(follows, "follow", follow)
    return elem


# ---------------------------------------------------------------- reading


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(elem: ET.Element, name: str) -> ET.Element | None:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _findall(elem: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in elem if _local(child.tag) == name]


def _text(elem: ET.Element | None, *path: str) -> str:
    for name in path:
        if elem is None:
            return ""
        elem = _find(elem, name)
    return (elem.text or "").strip() if elem is not None else ""


def generic(elem: ET.Element) -> dict[str, Any]:
    """Attributes, `_text`, and children as lists under their local names."""
    out: dict[str, Any] = {_local(k): v for k, v in elem.attrib.items()}
    if elem.text and elem.text.strip():
        out["_text"] = elem.text.strip()
    for child in elem:
        out.setdefault(_local(child.tag), []).append(generic(child))
    return out


def event_dict(elem: ET.Element) -> dict[str, Any]:
    """The dict shape in the module docstring, from a `<schedule_event>` (or EventType) element."""
    out: dict[str, Any] = {_local(k): v for k, v in elem.attrib.items()}
    for child in elem:
        name = _local(child.tag)
        if name in _MEMBER_LISTS:
            people = []
            for wrapper in child:
                for who in wrapper:
                    people.append({"type": _local(who.tag), **dict(who.attrib)})
            out[name] = people
        elif name == "customer":
            out[name] = dict(child.attrib)
        elif name == "repeat_info":
            cond = _find(child, "condition")
            excl = _find(child, "exclusive_datetimes")
            out[name] = {
                "condition": dict(cond.attrib) if cond is not None else {},
                "exclusive_datetimes": [dict(e.attrib) for e in excl] if excl is not None else [],
            }
        elif name == "when":
            when: dict[str, list[dict[str, str]]] = {}
            for span in child:
                when.setdefault(_local(span.tag), []).append(dict(span.attrib))
            out[name] = when
        elif name == "follows":
            out[name] = [_follow(f) for f in child]
        else:
            out.setdefault(name, []).append(generic(child))
    return out


def _follow(elem: ET.Element) -> dict[str, Any]:
    out: dict[str, Any] = dict(elem.attrib)
    for child in elem:
        out[_local(child.tag)] = dict(child.attrib)
    return out


def parse_answer(raw: bytes, status: int) -> ET.Element:
    """The `returns` element of a SOAP answer (or the response element if it has none).

    A SOAP Fault, or a non-2xx status without one, raises the mapped GaroonError.
    """
    try:
        root = SafeET.fromstring(raw)
    except (ET.ParseError, ValueError) as exc:
        if status >= 300:
            raise error_for(None, status, f"HTTP {status} without a SOAP answer") from exc
        raise ProtocolError(f"not XML: {exc}", status=status) from exc
    body = _find(root, "Body") if _local(root.tag) == "Envelope" else None
    if body is None:
        raise ProtocolError("no SOAP Body", status=status)
    fault = _find(body, "Fault")
    if fault is not None:
        raise fault_error(fault, status)
    if status >= 300:
        raise error_for(None, status, f"HTTP {status}")
    response = next(iter(body), None)
    if response is None:
        raise ProtocolError("empty SOAP Body", status=status)
    returns = _find(response, "returns")
    return returns if returns is not None else response


def fault_error(fault: ET.Element, status: int) -> GaroonError:
    detail = _find(fault, "Detail")
    code = _text(detail, "code") or None
    diagnosis = _text(detail, "diagnosis")
    reason = _text(fault, "Reason", "Text")
    return error_for(
        code,
        status or 500,
        diagnosis or reason or "SOAP Fault",
        cause=_text(detail, "cause"),
        counter_measure=_text(detail, "counter_measure"),
        diagnosis=diagnosis or reason,
    )


def events_in(returns: ET.Element) -> list[dict[str, Any]]:
    return [event_dict(e) for e in returns.iter() if _local(e.tag) == "schedule_event"]


def event_or_child(elem: ET.Element | None) -> dict[str, Any] | None:
    """`original`/`modified` are EventType themselves; accept a wrapped schedule_event too."""
    if elem is None:
        return None
    inner = _find(elem, "schedule_event")
    return event_dict(inner if inner is not None else elem)


def find_path(elem: ET.Element, *names: str) -> ET.Element | None:
    current: ET.Element | None = elem
    for name in names:
        if current is None:
            return None
        current = _find(current, name)
    return current


def find_all(elem: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in elem.iter() if _local(e.tag) == name]
