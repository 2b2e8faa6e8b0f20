"""POST /webhooks/garoon: authenticated browser hints in, GaroonHint out; errors queue nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from kakehashi.contracts import GaroonHint, routing
from kakehashi.contracts.state import Tenant
from kakehashi.ingress import IngressConfig
from tests.ingress.support import (
    GAROON_HEADERS,
    HINT_SECRET,
    TENANT,
    depths,
    garoon_body,
    queued,
    total_queued,
    unwire,
    wire,
)
from tests.ingress.test_graph_webhook import RefusingBus
from tests.support.buses import on_both_buses

URL = "/webhooks/garoon"

ACTIONS = {
    "schedule.event.create.submit.success": ("create", None),
    "schedule.event.quick.create.submit.success": ("create", None),
    "schedule.event.arrange.create.submit.success": ("create", None),
    "schedule.event.temporary.finalize.submit.success": ("create", None),
    "schedule.event.edit.submit.success": ("edit", None),
    "schedule.event.quick.edit.submit.success": ("edit", None),
    "schedule.event.delete.submit.success": ("delete", "ALL"),
    "schedule.event.attend.submit.success": ("attend", "THIS_ONLY"),
    "schedule.event.leave.submit.success": ("leave", "THIS_ONLY"),
    "kakehashi.teams.create": ("teams_meeting", None),
}


async def post(
    client: TestClient[Any, Any], body: dict[str, Any], headers: dict[str, str] = GAROON_HEADERS
) -> ClientResponse:
    return await client.post(URL, json=body, headers=headers)


@pytest.mark.parametrize(("event_type", "expected"), ACTIONS.items())
async def test_each_js_event_becomes_a_garoon_hint(client, wiring, event_type, expected):
    resp = await post(client, garoon_body(event_type))
    assert resp.status == 202
    answer = await resp.json()
    [hint] = queued(wiring.bus, routing.GAROON_CONNECTOR_HINTS)
    assert isinstance(hint, GaroonHint)
    assert answer == {"accepted": True, "message_id": hint.message_id}
    assert (hint.action, hint.range) == expected
    assert (hint.tenant_id, hint.garoon_user, hint.event_id) == (TENANT, "sato", "1234")
    assert hint.origin == "browser"


async def test_range_is_passed_on_for_delete_attend_leave(client, wiring):
    body = garoon_body("schedule.event.delete.submit.success", range="ON_AND_AFTER")
    assert (await post(client, body)).status == 202
    [hint] = queued(wiring.bus, routing.GAROON_CONNECTOR_HINTS)
    assert hint.range == "ON_AND_AFTER"


async def test_teams_request_carries_validated_invitees(client, wiring):
    invitees = ["taro@example.com", "Hanako.Y+cal@sub.example.co.jp"]
    body = garoon_body("kakehashi.teams.create", invitees=invitees)
    assert (await post(client, body)).status == 202
    [hint] = queued(wiring.bus, routing.GAROON_CONNECTOR_HINTS)
    assert (hint.action, hint.invitees) == ("teams_meeting", invitees)


async def test_unknown_fields_are_ignored(client, wiring):
    assert (await post(client, garoon_body(newField={"x": 1}))).status == 202


# ------------------------------------------------------------------ authentication
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Kakehashi-Tenant": TENANT},
        {"X-Kakehashi-Secret": HINT_SECRET},
        {"X-Kakehashi-Tenant": TENANT, "X-Kakehashi-Secret": "wrong"},
        {"X-Kakehashi-Tenant": TENANT, "X-Kakehashi-Secret": HINT_SECRET + "x"},
        {"X-Kakehashi-Tenant": "other", "X-Kakehashi-Secret": HINT_SECRET},
        {"X-Kakehashi-Tenant": "t" * 1000, "X-Kakehashi-Secret": HINT_SECRET},
    ],
    ids=["none", "no-secret", "no-tenant", "bad", "longer", "unknown-tenant", "long-tenant"],
)
@on_both_buses
async def test_bad_credentials_get_401_and_nothing_is_queued(
    bus_client, bus_wiring, headers, caplog
):
    resp = await post(bus_client, garoon_body(), headers=headers)
    assert resp.status == 401
    assert (await resp.json())["error"] == "unauthorized"
    assert HINT_SECRET not in caplog.text
    nothing = dict.fromkeys(bus_wiring.targets, 0)
    assert await depths(bus_wiring) == nothing
    # The same queues do receive an authentic hint: the count above is no blind spot.
    assert (await post(bus_client, garoon_body())).status == 202
    assert await depths(bus_wiring) == {**nothing, routing.GAROON_CONNECTOR_HINTS: 1}


async def test_tenant_without_hint_secret_accepts_no_hint(client, wiring):
    await wiring.store.tenants.put(Tenant(id="bare"))
    headers = {"X-Kakehashi-Tenant": "bare", "X-Kakehashi-Secret": "anything"}
    assert (await post(client, garoon_body(), headers=headers)).status == 401
    await wiring.store.tenants.put(Tenant(id="bare", hint_secret=SecretStr("")))
    headers = {"X-Kakehashi-Tenant": "bare", "X-Kakehashi-Secret": ""}
    assert (await post(client, garoon_body(), headers=headers)).status == 401
    assert total_queued(wiring.bus) == 0


# ------------------------------------------------------------ malformed, oversized, media type
@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{nope", None),
        (b"[1]", "(body)"),
        (json.dumps(garoon_body(source="outlook")).encode(), "source"),
        (json.dumps(garoon_body(eventType="schedule.event.edit.show")).encode(), "eventType"),
        (json.dumps(garoon_body(eventId="12;DROP")).encode(), "eventId"),
        (json.dumps(garoon_body(eventId=1234)).encode(), "eventId"),
        (json.dumps(garoon_body(actor={"id": "7"})).encode(), "actor.code"),
        (json.dumps(garoon_body(range="EVERYTHING")).encode(), "range"),
        (
            json.dumps(garoon_body("kakehashi.teams.create", invitees=["not-an-address"])).encode(),
            "invitees.0",
        ),
        (
            json.dumps(garoon_body("kakehashi.teams.create", invitees=["a@b.c"] * 51)).encode(),
            "invitees",
        ),
        (json.dumps(garoon_body(invitees=["taro@example.com"])).encode(), "invitees"),
    ],
)
async def test_malformed_hints_get_400_naming_the_field(client, wiring, body, field):
    headers = {**GAROON_HEADERS, "Content-Type": "application/json"}
    resp = await client.post(URL, data=body, headers=headers)
    assert resp.status == 400
    answer = await resp.json()
    if field is None:
        assert answer["error"] == "invalid_json"
    else:
        assert field in [f["field"] for f in answer["fields"]], answer
    assert total_queued(wiring.bus) == 0


async def test_oversized_and_wrong_media_type(client, wiring):
    big = json.dumps(garoon_body(pad="x" * 70_000)).encode()
    headers = {**GAROON_HEADERS, "Content-Type": "application/json"}
    assert (await client.post(URL, data=big, headers=headers)).status == 413
    # Refused on the declared length alone, even before authentication.
    assert (
        await client.post(URL, data=big, headers={"Content-Type": "application/json"})
    ).status == 413
    form = {**GAROON_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}
    assert (await client.post(URL, data=b"a=b", headers=form)).status == 415
    assert total_queued(wiring.bus) == 0


async def test_bus_failure_answers_503(aiohttp_client):
    w = await wire(RefusingBus(), config=IngressConfig(deadline=0.3))
    try:
        client = await aiohttp_client(w.app())
        assert (await post(client, garoon_body())).status == 503
        assert total_queued(w.bus) == 0
    finally:
        await unwire(w)
