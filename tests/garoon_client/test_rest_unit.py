"""REST headers, paging, back-off and error mapping against tiny in-test servers."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

from kakehashi.garoon_client import (
    InvalidRequest,
    LoginFailed,
    NotFound,
    PermissionDenied,
    ServerError,
    Throttled,
)


def garoon_error(status: int, code: str) -> web.Response:
    body = {
        "error": {
            "errorCode": code,
            "message": f"{code} message",
            "cause": "because",
            "counterMeasure": "do this",
            "developerInfo": "",
            "backtrace": [],
        }
    }
    return web.json_response(body, status=status)


async def test_headers_password_and_front_basic_auth(make_client: Any) -> None:
    seen: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request)
        return web.json_response({"id": "1"})

    client = await make_client(handler, basic_auth=("front", "door"))
    await client.get_event(1)
    headers = seen[0].headers
    assert base64.b64decode(headers["X-Cybozu-Authorization"]).decode() == "sato:pw"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"front:door").decode()
    assert seen[0].path == "/g/api/v1/schedule/events/1"


async def test_paging_follows_has_next_not_row_counts(make_client: Any) -> None:
    offsets: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        offsets.append(request.query["offset"])
        page = {"0": ([{"id": "1"}], True), "2": ([], True), "4": ([{"id": "3"}], False)}
        events, has_next = page[request.query["offset"]]
        return web.json_response({"events": events, "hasNext": has_next})

    client = await make_client(handler)
    events = await client.list_events(target="sato", target_type="user", limit=2)
    assert [e["id"] for e in events] == ["1", "3"]
    assert offsets == ["0", "2", "4"]


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (404, "GRN_SCHD_13001", NotFound),
        (403, "GRN_CMMN_00022", PermissionDenied),
        (401, "FW00007", LoginFailed),
        (400, "GRN_SCHD_13011", InvalidRequest),
        (500, "PHP00099", ServerError),
        (520, "GRN_SOMETHING", ServerError),
    ],
)
async def test_error_json_maps_to_types(
    make_client: Any, status: int, code: str, cls: type[Exception]
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return garoon_error(status, code)

    client = await make_client(handler, max_attempts=1)
    with pytest.raises(cls) as info:
        await client.update_event(5, {"subject": "x"})
    err: Any = info.value
    assert err.code == code
    assert err.status == status
    assert err.cause == "because"
    assert err.counter_measure == "do this"


async def test_429_and_503_back_off(make_client: Any, fake_sleep: Any) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            return web.Response(status=429, headers={"Retry-After": "0.5"})
        if calls == 2:
            return web.Response(status=503)
        return web.json_response({"id": "1"})

    client = await make_client(handler)
    assert (await client.get_event(1))["id"] == "1"
    assert fake_sleep.sleeps[0] == 0.5
    assert len(fake_sleep.sleeps) == 2


async def test_create_is_not_retried_on_503_but_is_on_429(make_client: Any) -> None:
    calls = 0

    async def handler(request: web.Request) -> web.Response:
        nonlocal calls
        calls += 1
        return web.Response(status=503 if calls == 1 else 429)

    client = await make_client(handler, max_attempts=3)
    with pytest.raises(ServerError):
        await client.create_event({"subject": "x"})
    assert calls == 1
    with pytest.raises(Throttled):
        await client.create_event({"subject": "x"})
    assert calls == 4


async def test_datastore_put_creates_then_replaces(make_client: Any) -> None:
    store: dict[str, Any] = {}
    methods: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        methods.append(request.method)
        name = request.match_info["tail"].rsplit("/", 1)[-1]
        if request.method == "PUT" and name not in store:
            return garoon_error(404, "GRN_REST_API_00206")
        if request.method in ("PUT", "POST"):
            store[name] = (await request.json())["value"]
            return web.json_response({"value": store[name]})
        if request.method == "GET":
            if name not in store:
                return garoon_error(404, "GRN_REST_API_00206")
            return web.json_response({"value": store[name]})
        return web.Response(status=204)

    client = await make_client(handler)
    name = "jp.example.schedule.kakehashi"
    assert await client.datastore_get(1, name) is None
    await client.datastore_put(1, name, {"graphId": "A"})
    await client.datastore_put(1, name, {"graphId": "B"})
    assert await client.datastore_get(1, name) == {"graphId": "B"}
    assert methods == ["GET", "PUT", "POST", "PUT", "GET"]


async def test_datastore_put_survives_a_concurrent_create(make_client: Any) -> None:
    calls: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        calls.append(request.method)
        if len(calls) == 1:  # PUT: nothing there yet
            return garoon_error(404, "GRN_SCHD_13217")
        if len(calls) == 2:  # POST: someone else created it meanwhile
            return garoon_error(400, "GRN_REST_API_00226")
        return web.json_response({"value": (await request.json())["value"]})

    client = await make_client(handler)
    stored = await client.datastore_put(1, "jp.kakehashi.schedule.sync", {"mappingId": "m"})
    assert stored == {"mappingId": "m"}
    assert calls == ["PUT", "POST", "PUT"]


async def test_requests_go_through_the_configured_proxy(aiohttp_server: Any, session: Any) -> None:
    from kakehashi.garoon_client import GaroonClient

    seen: list[str] = []

    async def proxy(request: web.Request) -> web.Response:
        seen.append(str(request.url))  # absolute-form target: the proxy sees the Garoon URL
        return web.json_response({"users": [], "hasNext": False})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", proxy)
    server = await aiohttp_server(app)
    client = GaroonClient(
        session,
        "http://garoon.invalid/g",
        login="sato",
        password="pw",
        proxy=str(server.make_url("/")),
    )
    assert await client.list_users() == []
    assert seen[0].startswith("http://garoon.invalid/g/api/v1/base/users")


async def test_custom_ca_via_ssl_context(tmp_path: Any, session: Any) -> None:
    """A package server behind TLS with a private CA: trusted only through `ssl_context`."""
    import ssl

    from kakehashi.garoon_client import GaroonClient, TransportError
    from kakehashi.graph_sim.tls import ensure_tls_files  # any test CA will do

    files = ensure_tls_files(tmp_path)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"users": [{"id": "1", "code": "sato"}], "hasNext": False})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=files.server_context())
    await site.start()
    port = runner.addresses[0][1]
    base = f"https://127.0.0.1:{port}/g"
    try:
        trusted = GaroonClient(
            session,
            base,
            login="sato",
            password="pw",
            ssl_context=ssl.create_default_context(cafile=str(files.ca_file)),
        )
        assert [u["code"] for u in await trusted.list_users()] == ["sato"]
        plain = GaroonClient(session, base, login="sato", password="pw", max_attempts=1)
        with pytest.raises(TransportError):
            await plain.list_users()
    finally:
        await runner.cleanup()
