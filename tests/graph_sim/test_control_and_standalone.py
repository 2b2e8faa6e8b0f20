"""The /_sim control API over HTTPS and the standalone entry point."""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from kakehashi.graph_sim import GraphSimServer, GraphSimulator, create_app
from kakehashi.graph_sim.standalone import DEMO_CLIENT_ID, DEMO_SECRET, DEMO_TENANT_ID, serve
from tests.support.waiting import wait_until

from .conftest import SCOPE, Graph, Seeded, event_body


async def test_control_api_seed_act_inspect(
    session: aiohttp.ClientSession, server: GraphSimServer
) -> None:
    base = f"{server.base_url}/_sim"

    async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with session.request(method, base + path, json=body) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text else None

    status, tenant = await call("POST", "/tenants", {"domain": "fabrikam.example"})
    assert status == 200
    tid = tenant["id"]
    _, app = await call(
        "POST",
        "/apps",
        {"tenantId": tid, "clientId": "app-1", "secret": "pw", "roles": ["Calendars.ReadWrite"]},
    )
    assert app["roles"] == ["Calendars.ReadWrite"]
    _, user = await call(
        "POST",
        "/users",
        {"tenantId": tid, "userPrincipalName": "kim@fabrikam.example", "displayName": "Kim"},
    )
    await call("POST", "/users", {"tenantId": tid, "userPrincipalName": "lee@fabrikam.example"})
    await call(
        "POST",
        "/rooms",
        {"tenantId": tid, "emailAddress": "r1@fabrikam.example", "displayName": "R1"},
    )
    status, switches = await call("PATCH", "/switches", {"notification_delay_ms": 5})
    assert status == 200
    assert switches["notification_delay_ms"] == 5
    assert (await call("PATCH", "/switches", {"no_such_switch": 1}))[0] == 404
    attendees = [{"emailAddress": {"address": "lee@fabrikam.example"}}]
    status, ev = await call(
        "POST",
        "/people/kim@fabrikam.example/events",
        event_body("Outlook edit", attendees=attendees),
    )
    assert status == 201
    status, _ = await call(
        "PATCH", f"/people/kim@fabrikam.example/events/{ev['id']}", {"subject": "Outlook edit 2"}
    )
    assert status == 200
    _, lee_box = await call("GET", "/mailboxes/lee@fabrikam.example/events")
    copy = lee_box[0]
    assert copy["subject"] == "Outlook edit 2"
    assert copy["_sim"]["organizerRef"][1] == ev["id"]
    assert (
        await call(
            "POST",
            f"/people/lee@fabrikam.example/events/{copy['id']}/decline",
            {"sendResponse": False},
        )
    )[0] == 204
    _, outbox = await call("GET", "/outbox")
    assert [m["kind"] for m in outbox] == ["invitation", "update"]
    await call("POST", "/faults", {"pattern": "/events", "status": 503, "count": 1})
    _, faults = await call("GET", "/faults")
    assert len(faults) == 1
    assert (await call("POST", "/tokens/expire", {"tenantId": tid}))[0] == 204
    _, stats = await call("GET", "/stats")
    assert "perEndpoint" in stats
    assert (await call("POST", "/reset"))[0] == 204
    assert server.sim.tenants == {}
    doc = {
        "tenants": [
            {
                "domain": "seeded.example",
                "apps": [{"clientId": "c1", "secret": "s", "roles": ["Calendars.Read"]}],
                "users": [{"userPrincipalName": "u@seeded.example"}],
                "rooms": [{"emailAddress": "room@seeded.example"}],
            }
        ]
    }
    status, seeded = await call("POST", "/seed", doc)
    assert status == 200
    assert seeded["tenants"][0]["apps"] == ["c1"]
    assert len(server.sim.rooms) == 1
    del user


async def test_request_log_counts_per_endpoint(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    control = f"{server.base_url}/_sim"
    async with graph.session.delete(f"{control}/requests") as resp:
        assert resp.status == 204
    alice = seeded.alice
    ev = (await graph.post(f"/users/{alice}/events", event_body())).body
    await graph.get(f"/users/{alice}/events/{ev['id']}")
    await graph.get(f"/users/alice@contoso.example/events/{ev['id']}")  # by UPN: same route
    await graph.patch(f"/users/{alice}/events/{ev['id']}", {"subject": "renamed"})
    window = "startDateTime=2026-05-01T00:00:00Z&endDateTime=2026-06-01T00:00:00Z"
    await graph.get(f"/users/{alice}/calendarView?{window}")
    batch = await graph.post(
        "/$batch",
        {
            "requests": [
                {"id": "1", "method": "GET", "url": f"/users/{alice}/events/{ev['id']}"},
                {"id": "2", "method": "GET", "url": f"/users/{seeded.bob}/events"},
            ]
        },
    )
    assert [r["status"] for r in batch.body["responses"]] == [200, 200]
    assert (await graph.get(f"/users/{alice}/events/no-such-id")).status == 404
    async with graph.session.get(f"{control}/stats") as resp:
        stats = await resp.json()
    assert stats["perEndpoint"] == {
        "POST /v1.0/users/{user}/events": 1,
        "GET /v1.0/users/{user}/events/{event}": 4,  # 2 direct + 1 batched + 1 not found
        "PATCH /v1.0/users/{user}/events/{event}": 1,
        "GET /v1.0/users/{user}/calendarView": 1,
        "POST /v1.0/$batch": 1,
        "GET /v1.0/users/{user}/events": 1,
    }
    assert stats["requests"] == 9
    assert stats["status"] == {"201": 1, "200": 7, "404": 1}
    async with graph.session.get(f"{control}/requests") as resp:
        log = await resp.json()
    assert sum(1 for r in log if r["batch"]) == 2
    # Requests by UPN are counted against the same mailbox as requests by id.
    per_event = [r["mailbox"] for r in log if r["endpoint"] == "/v1.0/users/{user}/events/{event}"]
    assert per_event == [alice] * 5  # 4 GETs and the PATCH
    assert all(r["app"] == seeded.client_id for r in log)
    async with graph.session.delete(f"{control}/requests") as resp:
        assert resp.status == 204
    async with graph.session.get(f"{control}/stats") as resp:
        cleared = await resp.json()
    assert cleared["requests"] == 0
    assert cleared["perEndpoint"] == {}


async def test_create_app_runs_without_tls(aiohttp_client: Any) -> None:
    sim = GraphSimulator()
    tenant = sim.add_tenant("contoso.example")
    app = sim.add_app(tenant.id, secret="x")
    user = sim.add_user(tenant.id, "a@contoso.example")
    client = await aiohttp_client(create_app(sim))
    resp = await client.post(
        f"/{tenant.id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app.client_id,
            "client_secret": "x",
            "scope": SCOPE,
        },
    )
    token = (await resp.json())["access_token"]
    resp = await client.post(
        f"/v1.0/users/{user.id}/events",
        json=event_body(),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert resp.status == 201


async def test_standalone_serve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    task = asyncio.create_task(serve("127.0.0.1", 0, tmp_path))
    out: list[str] = []

    def started() -> bool:
        out.append(capsys.readouterr().out)
        return "caFile" in "".join(out)

    try:
        await wait_until(started, message="standalone start-up")
        info = json.loads(next(line for line in "".join(out).splitlines() if line.startswith("{")))
        assert Path(info["caFile"]).parent == tmp_path
        assert info["tenants"][0]["tenantId"] == DEMO_TENANT_ID
        ctx = ssl.create_default_context(cafile=info["caFile"])
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as s:
            form = {
                "grant_type": "client_credentials",
                "client_id": DEMO_CLIENT_ID,
                "client_secret": DEMO_SECRET,
                "scope": SCOPE,
            }
            async with s.post(
                f"{info['url']}/{DEMO_TENANT_ID}/oauth2/v2.0/token", data=form
            ) as resp:
                token = (await resp.json())["access_token"]
            hdrs = {"Authorization": f"Bearer {token}"}
            async with s.post(
                f"{info['url']}/v1.0/users/sato@contoso.example/events",
                json=event_body(),
                headers=hdrs,
            ) as resp:
                assert resp.status == 201
            window = "startDateTime=2026-05-12T00:00:00Z&endDateTime=2026-05-13T00:00:00Z"
            async with s.get(
                f"{info['url']}/v1.0/users/sato@contoso.example/calendarView?{window}", headers=hdrs
            ) as resp:
                assert len((await resp.json())["value"]) == 1
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def test_kakehashi_sim_graph_runs_standalone_and_serves_verified_tls(tmp_path: Path) -> None:
    # What docs/simulators.md tells a reader to run, run as printed: the console script.
    exe = Path(sys.executable).parent / "kakehashi"
    args = [str(exe), "sim", "graph", "--port", "0", "--state-dir", str(tmp_path)]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]  # blocks until printed (or EOF)
        assert lines[2], f"no start-up lines; stderr: {proc.stderr.read() if proc.stderr else ''}"
        info = json.loads(lines[2])
        tenant = info["tenants"][0]["tenantId"]
        context = ssl.create_default_context(cafile=info["caFile"])
        url = f"{info['url']}/{tenant}/v2.0/.well-known/openid-configuration"
        with urllib.request.urlopen(url, timeout=10, context=context) as resp:
            assert resp.status == 200
            assert json.loads(resp.read())["token_endpoint"].endswith("/oauth2/v2.0/token")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
