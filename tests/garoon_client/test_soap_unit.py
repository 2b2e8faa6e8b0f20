"""SOAP envelope building and answer parsing (pure), plus a Fault through the client."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aiohttp import web

from kakehashi.garoon_client import LoginFailed, NotFound, soap

SOAP = "{http://www.w3.org/2003/05/soap-envelope}"

SERIES: dict[str, Any] = {
    "event_type": "repeat",
    "public_type": "public",
    "plan": "",
    "detail": 'Weekly <sync> & "review"',
    "description": "line1\nline2",
    "timezone": "Asia/Tokyo",
    "end_timezone": "Asia/Tokyo",
    "allday": False,
    "start_only": False,
    "members": [{"type": "user", "id": "1"}, {"type": "facility", "id": "7"}],
    "repeat_info": {
        "condition": {
            "type": "week",
            "week": 1,
            "start_date": date(2026, 5, 4),
            "end_date": date(2026, 6, 29),
            "start_time": "10:00:00",
            "end_time": "11:00:00",
        },
        "exclusive_datetimes": [
            {"start": "2026-05-11T00:00:00+09:00", "end": "2026-05-12T00:00:00+09:00"}
        ],
    },
}


def test_envelope_has_security_timestamp_action_and_escapes() -> None:
    params = soap.parameters()
    params.append(soap.event_element({"id": "dummy", "version": "dummy", **SERIES}))
    raw = soap.envelope(
        "ScheduleAddEvents",
        params,
        username="sato",
        password="p<&>w",
        now=datetime(2026, 5, 1, 9, tzinfo=UTC),
    )
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(raw)
    header = root.find(f"{SOAP}Header")
    assert header is not None
    assert header.findtext("Action") == "ScheduleAddEvents"
    assert header.findtext("Security/UsernameToken/Username") == "sato"
    assert header.findtext("Security/UsernameToken/Password") == "p<&>w"
    assert header.findtext("Timestamp/Created") == "2026-05-01T09:00:00Z"
    assert header.findtext("Timestamp/Expires") == "2026-05-02T09:00:00Z"
    event = root.find(f"{SOAP}Body/ScheduleAddEvents/parameters/schedule_event")
    assert event is not None
    assert event.get("detail") == 'Weekly <sync> & "review"'
    assert event.get("allday") == "false"
    # and it reads back into the same dict shape
    parsed = soap.event_dict(event)
    assert parsed["members"] == [{"type": "user", "id": "1"}, {"type": "facility", "id": "7"}]
    assert parsed["repeat_info"]["condition"] == {
        "type": "week",
        "week": "1",
        "start_date": "2026-05-04",
        "end_date": "2026-06-29",
        "start_time": "10:00:00",
        "end_time": "11:00:00",
    }
    assert (
        parsed["repeat_info"]["exclusive_datetimes"] == SERIES["repeat_info"]["exclusive_datetimes"]
    )


ANSWER = b"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"
  xmlns:schedule="http://wsdl.cybozu.co.jp/schedule/2008">
 <soap:Header><vendor>Cybozu</vendor></soap:Header>
 <soap:Body>
  <schedule:ScheduleGetEventsByIdResponse>
   <returns>
    <schedule_event id="12" event_type="normal" version="1732150000" public_type="public"
        plan="" detail="Visit" description="" timezone="Asia/Tokyo" end_timezone="Asia/Tokyo"
        allday="false" start_only="false">
     <members xmlns="http://schemas.cybozu.co.jp/schedule/2008">
      <member><user id="1" name="Sato" order="0"/></member>
      <member><organization id="3" name="Sales"/></member>
     </members>
     <customer xmlns="http://schemas.cybozu.co.jp/schedule/2008" name="ACME" phone="03"/>
     <when xmlns="http://schemas.cybozu.co.jp/schedule/2008">
      <datetime start="2026-05-01T01:00:00Z" end="2026-05-01T02:00:00Z" facility_id="7"/>
     </when>
     <follows xmlns="http://schemas.cybozu.co.jp/schedule/2008">
      <follow follow_id="9" text="hi"><creator user_id="1" name="Sato"/></follow>
     </follows>
     <mystery xmlns="http://schemas.cybozu.co.jp/schedule/2008" a="b">t</mystery>
    </schedule_event>
   </returns>
  </schedule:ScheduleGetEventsByIdResponse>
 </soap:Body>
</soap:Envelope>"""


def test_answer_events_parse_to_plain_dicts() -> None:
    [event] = soap.events_in(soap.parse_answer(ANSWER, 200))
    assert event["id"] == "12"
    assert event["version"] == "1732150000"
    assert event["members"] == [
        {"type": "user", "id": "1", "name": "Sato", "order": "0"},
        {"type": "organization", "id": "3", "name": "Sales"},
    ]
    assert event["customer"] == {"name": "ACME", "phone": "03"}
    assert event["when"] == {
        "datetime": [
            {"start": "2026-05-01T01:00:00Z", "end": "2026-05-01T02:00:00Z", "facility_id": "7"}
        ]
    }
    assert event["follows"] == [
        {"follow_id": "9", "text": "hi", "creator": {"user_id": "1", "name": "Sato"}}
    ]
    assert event["mystery"] == [{"a": "b", "_text": "t"}]


FAULT = b"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope">
 <soap:Body>
  <soap:Fault>
   <soap:Code><soap:Value>soap:Receiver</soap:Value></soap:Code>
   <soap:Reason><soap:Text xml:lang="en">The event was not found.</soap:Text></soap:Reason>
   <soap:Detail>
    <code>GRN_SCHD_13001</code>
    <diagnosis>The specified event (id:99) was not found.</diagnosis>
    <cause>It was deleted.</cause>
    <counter_measure>Check the id.</counter_measure>
   </soap:Detail>
  </soap:Fault>
 </soap:Body>
</soap:Envelope>"""


def test_fault_maps_to_typed_error() -> None:
    with pytest.raises(NotFound) as info:
        soap.parse_answer(FAULT, 500)
    err = info.value
    assert err.code == "GRN_SCHD_13001"
    assert err.diagnosis == "The specified event (id:99) was not found."
    assert err.cause == "It was deleted."
    assert err.counter_measure == "Check the id."
    assert err.status == 500


def test_entity_expansion_is_refused() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>
    <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&a;</soap:Body>
    </soap:Envelope>"""
    with pytest.raises(Exception, match=r"(?i)entit|forbidden"):
        soap.parse_answer(bomb, 200)


async def test_client_posts_soap_and_maps_faults(make_client: Any) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((request.path, request.headers["Content-Type"], body))
        if b"<Username>sato</Username>" not in body:
            fault = FAULT.replace(b"GRN_SCHD_13001", b"FW00007")
            return web.Response(status=500, body=fault, content_type="application/soap+xml")
        return web.Response(body=ANSWER, content_type="application/soap+xml")

    client = await make_client(handler)
    events = await client.soap_get_events_by_id([12])
    assert events[0]["detail"] == "Visit"
    path, ctype, body = seen[0]
    assert path == "/g/cbpapi/schedule/api.csp"
    assert ctype.startswith("text/xml")
    assert b"<event_id>12</event_id>" in body
    bad = await make_client(handler, login="nobody")
    with pytest.raises(LoginFailed):
        await bad.soap_get_events_by_id([12])


def test_package_urls_have_no_csp_suffix(session: Any) -> None:
    from kakehashi.garoon_client import GaroonClient

    client = GaroonClient(session, "http://intra/cgi-bin/cbgrn/grn.cgi", login="a", password="b")
    assert client.soap_url() == "http://intra/cgi-bin/cbgrn/grn.cgi/cbpapi/schedule/api"
