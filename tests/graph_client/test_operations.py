"""Calendar operations whose logic lives in the client: delta paging, $batch, Teams check."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from kakehashi.graph_client import DeltaExpired, TeamsNotEnabled, graph_time, tag_value

START = datetime(2026, 5, 1, tzinfo=UTC)
END = datetime(2026, 6, 1, tzinfo=UTC)


async def test_delta_follows_next_links_and_returns_the_delta_link(make_client: Any) -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(str(request.rel_url))
        origin = f"{request.scheme}://{request.host}"
        token = request.query.get("$skiptoken")
        if token is None and "$deltatoken" not in request.query:
            return web.json_response(
                {"value": [{"id": "1"}], "@odata.nextLink": f"{origin}/v1.0/d?$skiptoken=p2"}
            )
        if token == "p2":
            return web.json_response(
                {"value": [], "@odata.nextLink": f"{origin}/v1.0/d?$skiptoken=p3"}
            )
        if token == "p3":
            return web.json_response(
                {
                    "value": [{"id": "2", "@removed": {"reason": "deleted"}}],
                    "@odata.deltaLink": f"{origin}/v1.0/d?$deltatoken=D1",
                }
            )
        return web.json_response(
            {"value": [], "@odata.deltaLink": f"{origin}/v1.0/d?$deltatoken=D2"}
        )

    client, _ = await make_client(handler)
    items, link = await client.calendar_view_delta("a@x.example", START, END)
    assert [i["id"] for i in items] == ["1", "2"]
    assert items[1]["@removed"] == {"reason": "deleted"}
    assert link.endswith("$deltatoken=D1")
    assert "startDateTime=2026-05-01T00%3A00%3A00Z" in seen[0]
    items, link2 = await client.calendar_view_delta("a@x.example", START, END, link)
    assert items == []
    assert link2.endswith("D2")
    assert seen[-1].endswith("$deltatoken=D1")  # followed verbatim, no parameters re-added


@pytest.mark.parametrize(
    ("status", "code"), [(410, "Gone"), (400, "syncStateNotFound"), (404, "SyncStateNotFound")]
)
async def test_expired_delta_token_raises_delta_expired(
    make_client: Any, status: int, code: str
) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"error": {"code": code, "message": "m"}}, status=status)

    client, server = await make_client(handler)
    link = str(server.make_url("/v1.0/users/a/calendarView/delta?$deltatoken=old"))
    with pytest.raises(DeltaExpired):
        await client.calendar_view_delta("a@x.example", START, END, link)


async def test_batch_retries_inner_429_after_the_longest_retry_after(
    make_client: Any, fake_time: Any
) -> None:
    batches: list[list[dict[str, Any]]] = []

    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        batches.append(body["requests"])
        responses = []
        for req in body["requests"]:
            if len(batches) == 1 and req["id"] in ("2", "3"):
                retry = "2" if req["id"] == "2" else "3.5"
                responses.append(
                    {"id": req["id"], "status": 429, "headers": {"Retry-After": retry}}
                )
            else:
                responses.append({"id": req["id"], "status": 200, "body": {"n": req["id"]}})
        return web.json_response({"responses": list(reversed(responses))})

    client, _ = await make_client(handler)
    reqs = [{"method": "GET", "url": f"/users/u{i % 2}@x.example/events/e{i}"} for i in range(25)]
    out = await client.batch(reqs)
    assert [r["body"]["n"] for r in out] == [str(i + 1) for i in range(25)]
    assert [len(b) for b in batches] == [20, 2, 5]
    assert fake_time.sleeps == [3.5]


async def test_batch_keeps_inner_429_when_attempts_run_out(make_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {"responses": [{"id": r["id"], "status": 429, "headers": {}} for r in body["requests"]]}
        )

    client, _ = await make_client(handler, max_attempts=2)
    out = await client.batch([{"method": "GET", "url": "/users/a/events/1"}])
    assert out[0]["status"] == 429


async def test_teams_silent_failure_is_reported(make_client: Any) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            {"id": "e1", "isOnlineMeeting": False, "onlineMeetingProvider": "unknown"}
        )

    client, _ = await make_client(handler)
    with pytest.raises(TeamsNotEnabled):
        await client.enable_teams_meeting("a@x.example", "e1")


async def test_teams_join_url_is_returned(make_client: Any) -> None:
    patches: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        patches.append(await request.json())
        return web.json_response(
            {
                "id": "e1",
                "isOnlineMeeting": True,
                "onlineMeetingProvider": "teamsForBusiness",
                "onlineMeeting": {"joinUrl": "https://teams.example/join/1"},
            }
        )

    client, _ = await make_client(handler)
    assert await client.enable_teams_meeting("a@x.example", "e1") == "https://teams.example/join/1"
    assert patches == [{"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}]


async def test_subscription_create_body(make_client: Any) -> None:
    bodies: list[Any] = []

    async def handler(request: web.Request) -> web.Response:
        bodies.append(await request.json())
        return web.json_response({"id": "s1", **bodies[-1]}, status=201)

    client, _ = await make_client(handler)
    exp = datetime(2026, 5, 3, 12, tzinfo=UTC)
    await client.create_subscription(
        resource="/users/u1/events",
        notification_url="https://hook.example/graph",
        lifecycle_notification_url="https://hook.example/lifecycle",
        expiration=exp,
        client_state="secret",
    )
    assert bodies[0] == {
        "changeType": "created,updated,deleted",
        "notificationUrl": "https://hook.example/graph",
        "lifecycleNotificationUrl": "https://hook.example/lifecycle",
        "resource": "/users/u1/events",
        "expirationDateTime": "2026-05-03T12:00:00Z",
        "clientState": "secret",
    }


def test_graph_time_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        graph_time(datetime(2026, 5, 1))


def test_tag_value_reads_the_expanded_property() -> None:
    prop = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name GaroonEventId"
    event = {"singleValueExtendedProperties": [{"id": prop.lower(), "value": "42"}]}
    assert tag_value(event, prop) == "42"
    assert tag_value({}, prop) is None
