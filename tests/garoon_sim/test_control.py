"""Control API: seeding over HTTP, faults, request log, raw events, reset; standalone.serve."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from typing import Any, cast

import aiohttp

from kakehashi.garoon_sim import GaroonSimServer
from kakehashi.garoon_sim.standalone import serve
from tests.support.waiting import wait_until

from .conftest import Garoon, cybozu_auth, regular
from .soap_helpers import fault_code


async def test_seed_over_http_and_reset() -> None:
    async with GaroonSimServer() as server, aiohttp.ClientSession() as s:
        ctl = f"{server.root_url}/_sim"
        async with s.post(
            f"{ctl}/users",
            json={
                "users": [
                    {
                        "id": 7,
                        "code": "kato",
                        "name": "加藤",
                        "password": "pw",
                        "email": "k@example.com",
                    }
                ]
            },
        ) as r:
            assert r.status == 201
        async with s.post(
            f"{ctl}/organizations", json={"code": "dev", "name": "開発", "members": ["kato"]}
        ) as r:
            assert (await r.json())["organizations"][0]["members"] == ["7"]
        async with s.post(
            f"{ctl}/facilities", json={"facilities": [{"id": 3, "code": "r3", "name": "R3"}]}
        ) as r:
            assert r.status == 201
        async with s.put(f"{ctl}/menus", json={"menus": ["会議"]}) as r:
            assert (await r.json()) == {"menus": ["会議"]}
        async with s.get(f"{server.base_url}/api/v1/base/users", headers=cybozu_auth("kato")) as r:
            assert (await r.json())["users"] == [{"id": "7", "name": "加藤", "code": "kato"}]
        async with s.post(f"{ctl}/reset") as r:
            assert r.status == 200
        async with s.get(f"{server.base_url}/api/v1/base/users", headers=cybozu_auth("kato")) as r:
            assert r.status == 401


async def test_fault_status_count_and_retry_after(garoon: Garoon) -> None:
    status, _ = await garoon.ctl(
        "POST",
        "/faults",
        {
            "path": "/api/v1/schedule/events*",
            "method": "GET",
            "status": 429,
            "count": 1,
            "retryAfter": 2,
        },
    )
    assert status == 200
    async with garoon.session.get(
        f"{garoon.rest}/schedule/events", headers=cybozu_auth("sato")
    ) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "2"
        assert (await resp.json())["error"]["errorCode"] == "GRN_REST_API_00104"
    status, _ = await garoon.call("GET", "/schedule/events")
    assert status == 200  # count exhausted
    await garoon.ctl(
        "POST",
        "/faults",
        {"path": "/cbpapi/*", "soapAction": "ScheduleGetEventsById", "status": 503},
    )
    status, text = await garoon.soap("ScheduleGetEventsById", "<event_id>1</event_id>")
    assert status == 503
    assert fault_code(text) == "GRN_SIM_FAULT"
    status, body = await garoon.ctl("DELETE", "/faults")
    assert body == {"faults": []}


async def test_fault_latency(garoon: Garoon) -> None:
    await garoon.ctl("POST", "/faults", {"path": "/api/v1/base/users", "latencyMs": 200})
    began = time.monotonic()
    status, _ = await garoon.call("GET", "/base/users")
    assert status == 200
    assert time.monotonic() - began >= 0.2


async def test_request_log_counts_per_endpoint(garoon: Garoon) -> None:
    _status, ev = await garoon.call("POST", "/schedule/events", json=regular())
    await garoon.call("GET", f"/schedule/events/{ev['id']}")
    await garoon.call("GET", f"/schedule/events/{ev['id']}")
    await garoon.soap("ScheduleGetEventsById", f"<event_id>{ev['id']}</event_id>")
    _, body = await garoon.ctl("GET", "/requests")
    assert body["counts"] == {
        "POST /api/v1/schedule/events": 1,
        "GET /api/v1/schedule/events/{id}": 2,
        "SOAP ScheduleGetEventsById": 1,
    }
    assert body["requests"][0]["user"] == "sato"
    _, body = await garoon.ctl("DELETE", "/requests")
    assert body == {"requests": [], "counts": {}}


async def test_raw_events_and_settings(garoon: Garoon) -> None:
    _, ev = await garoon.call("POST", "/schedule/events", json=regular())
    _status, raw = await garoon.ctl("GET", f"/events/{ev['id']}")
    assert raw["subject"] == "定例"
    assert raw["version"] > 0
    _, body = await garoon.ctl("GET", "/events")
    assert [e["id"] for e in body["events"]] == [int(ev["id"])]
    async with garoon.session.patch(f"{garoon.control}/settings", json={"nope": 1}) as resp:
        assert resp.status == 400
    _, body = await garoon.ctl("PATCH", "/settings", {"range_mode": "start"})
    assert body["range_mode"] == "start"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_standalone_serve_starts_and_stops() -> None:
    port = _free_port()
    task = asyncio.create_task(serve("127.0.0.1", port))

    async def up() -> bool:
        try:
            async with (
                aiohttp.ClientSession() as s,
                s.get(f"http://127.0.0.1:{port}/_sim/settings") as r,
            ):
                return r.status == 200
        except aiohttp.ClientError:
            return False

    await wait_until(cast(Any, up), message="standalone simulator")
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
