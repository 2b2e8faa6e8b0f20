"""Pacing, retries and error mapping of every Graph call, against tiny in-test servers."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import unquote

import pytest
from aiohttp import web

from kakehashi.graph_client import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    ServerError,
    Throttled,
    TransportError,
    Unauthorized,
)
from tests.support.waiting import wait_until


def graph_error(status: int, code: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": f"{code} happened"}}
    return web.json_response(
        body, status=status, headers={"request-id": "rid-1", **(headers or {})}
    )


async def test_every_call_sends_prefer_auth_and_client_request_id(make_client: Any) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers)
        return web.json_response({"id": "u1"})

    client, _ = await make_client(handler)
    assert (await client.get_user("a@x.example"))["id"] == "u1"
    headers = seen[0]
    assert headers["Authorization"] == "Bearer tok-1"
    prefer = ",".join(headers.getall("Prefer"))
    assert 'IdType="ImmutableId"' in prefer
    assert 'outlook.timezone="UTC"' in prefer
    uuid.UUID(headers["client-request-id"])


async def test_429_retry_after_is_honoured_with_fractional_seconds(
    make_client: Any, fake_time: Any
) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls <= 2:
            return graph_error(429, "TooManyRequests", {"Retry-After": "2.128"})
        return web.json_response({"id": "e1"})

    client, _ = await make_client(handler)
    event = await client.get_event("a@x.example", "e1")
    assert event["id"] == "e1"
    assert calls == 3
    assert fake_time.sleeps == [pytest.approx(2.128), pytest.approx(2.128)]


async def test_429_without_retry_after_backs_off_and_gives_up(
    make_client: Any, fake_time: Any
) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return graph_error(429, "TooManyRequests")

    client, _ = await make_client(handler, max_attempts=4, max_backoff=8.0)
    with pytest.raises(Throttled) as info:
        await client.get_event("a@x.example", "e1")
    assert calls == 4
    assert len(fake_time.sleeps) == 3
    assert all(0 <= s <= 8.0 for s in fake_time.sleeps)
    assert info.value.status == 429
    assert info.value.code == "TooManyRequests"


async def test_429_pauses_the_whole_mailbox(make_client: Any, fake_time: Any) -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.path)
        if len(calls) == 1:
            return graph_error(429, "TooManyRequests", {"Retry-After": "7"})
        return web.json_response({"id": "x"})

    client, _ = await make_client(handler)
    await client.get_event("a@x.example", "e1")
    # A later call to the same mailbox still respects the pause already served...
    await client.get_event("a@x.example", "e2")
    assert fake_time.sleeps == [7.0]
    # ...and a pause set now holds a sibling request before it is sent.
    client.limiter.pause("a@x.example", 3.0)
    await client.get_event("A@X.example", "e3")
    assert fake_time.sleeps == [7.0, 3.0]


async def test_503_is_retried_for_reads_but_not_for_plain_posts(make_client: Any) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if request.method == "GET" and calls == 1:
            return graph_error(503, "ServiceUnavailable", {"Retry-After": "1"})
        if request.method == "POST":
            return graph_error(503, "ServiceUnavailable", {"Retry-After": "1"})
        return web.json_response({"id": "e1"})

    client, _ = await make_client(handler)
    await client.get_event("a@x.example", "e1")
    assert calls == 2
    calls = 0
    with pytest.raises(ServerError):
        await client.cancel_event("a@x.example", "e1")
    assert calls == 1


async def test_create_with_transaction_id_is_retried_after_5xx(make_client: Any) -> None:
    bodies: list[dict[str, Any]] = []

    async def handler(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        if len(bodies) == 1:
            return graph_error(504, "GatewayTimeout")
        return web.json_response({"id": "new", **bodies[-1]}, status=201)

    client, _ = await make_client(handler)
    created = await client.create_event(
        "a@x.example",
        {"subject": "s"},
        transaction_id="tx-1",
        tag=("String {00000000-0000-0000-0000-000000000001} Name GaroonEventId", "42"),
    )
    assert created["id"] == "new"
    assert len(bodies) == 2
    assert bodies[0] == bodies[1]
    assert bodies[0]["transactionId"] == "tx-1"
    assert bodies[0]["singleValueExtendedProperties"][0]["value"] == "42"


async def test_401_refreshes_the_token_once(make_client: Any, tokens: Any) -> None:
    auths: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        auths.append(request.headers["Authorization"])
        if request.headers["Authorization"] == "Bearer tok-1":
            return graph_error(401, "InvalidAuthenticationToken")
        return web.json_response({"id": "u"})

    client, _ = await make_client(handler)
    await client.get_user("a@x.example")
    assert auths == ["Bearer tok-1", "Bearer tok-2"]
    assert tokens.invalidated == ["tok-1"]


async def test_401_twice_is_unauthorized(make_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return graph_error(401, "InvalidAuthenticationToken")

    client, _ = await make_client(handler)
    with pytest.raises(Unauthorized):
        await client.get_user("a@x.example")


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "ErrorInvalidRequest", BadRequest),
        (403, "ErrorAccessDenied", Forbidden),
        (404, "ErrorItemNotFound", NotFound),
        (409, "Conflict", Conflict),
        (412, "ErrorIrresolvableConflict", PreconditionFailed),
        (500, "InternalServerError", ServerError),
    ],
)
async def test_status_maps_to_typed_error(
    make_client: Any, status: int, code: str, error: type[Exception]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return graph_error(status, code)

    client, _ = await make_client(handler, max_attempts=2)
    with pytest.raises(error) as info:
        await client.update_event("a@x.example", "e1", {"subject": "x"}, if_match='W/"ck"')
    assert getattr(info.value, "code", None) == code
    assert info.value.request_id == "rid-1"  # type: ignore[attr-defined]
    assert info.value.client_request_id  # type: ignore[attr-defined]


async def test_no_more_than_four_requests_per_mailbox_in_flight(make_client: Any) -> None:
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}
    gate = asyncio.Event()

    async def handler(request: web.Request) -> web.Response:
        box = request.path.split("/")[3]
        in_flight[box] = in_flight.get(box, 0) + 1
        peak[box] = max(peak.get(box, 0), in_flight[box])
        await gate.wait()
        in_flight[box] -= 1
        return web.json_response({"id": "e"})

    client, _ = await make_client(handler)
    jobs = [
        asyncio.create_task(client.get_event(box, f"e{i}"))
        for i in range(10)
        for box in ("a@x.example", "b@x.example")
    ]
    await wait_until(
        lambda: in_flight.get("a@x.example") == 4 and in_flight.get("b@x.example") == 4,
        message="four requests per mailbox in flight",
    )
    assert client.limiter.in_flight("a@x.example") == 4
    gate.set()
    await asyncio.gather(*jobs)
    assert peak == {"a@x.example": 4, "b@x.example": 4}


async def test_request_budget_per_mailbox(make_client: Any, fake_time: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"id": "e"})

    client, _ = await make_client(handler, budget_per_mailbox=(3, 60))
    for i in range(3):
        await client.get_event("a@x.example", f"e{i}")
    await client.get_event("b@x.example", "other mailbox, own budget")
    assert fake_time.sleeps == []
    await client.get_event("a@x.example", "e4")
    assert fake_time.sleeps == [pytest.approx(20.0)]  # one token refills every 20 s


async def test_connection_refused_is_a_transport_error(
    session: Any, tokens: Any, fake_time: Any
) -> None:
    from kakehashi.graph_client import GraphClient

    client = GraphClient(
        session, "http://127.0.0.1:9", tokens, sleep=fake_time.sleep, max_attempts=2
    )
    with pytest.raises(TransportError):
        await client.get_user("a@x.example")
    assert len(fake_time.sleeps) == 1


async def test_links_to_other_hosts_are_refused(make_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"value": [], "@odata.nextLink": "https://evil.example/next"})

    client, _ = await make_client(handler)
    with pytest.raises(ProtocolError):
        await client.list_subscriptions()


async def test_query_values_are_percent_encoded(make_client: Any) -> None:
    raw: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        raw.append(request.raw_path)
        return web.json_response({"value": []})

    client, _ = await make_client(handler)
    prop = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name GaroonEventId"
    await client.find_by_tag("a@x.example", prop, "o'k")
    assert "+" not in raw[0]
    assert "%20" in raw[0]
    assert "$filter=" in raw[0]
    assert "'o''k'" in unquote(raw[0])
