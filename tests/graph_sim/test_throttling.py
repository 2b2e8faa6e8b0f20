"""Per-mailbox throttling, request budget, injected faults and JSON batching."""

from __future__ import annotations

import asyncio

from kakehashi.graph_sim import GraphSimServer

from .conftest import Graph, Seeded, event_body


async def test_more_than_four_concurrent_requests_get_429(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    server.sim.set_switches(latency_ms=1000)  # long enough for 7 TLS handshakes under load
    replies = await asyncio.gather(*(graph.get(f"/users/{seeded.alice}/events") for _ in range(7)))
    other = await graph.get(f"/users/{seeded.bob}/events")
    statuses = sorted(r.status for r in replies)
    assert statuses.count(200) == 4
    assert statuses.count(429) == 3
    throttled = next(r for r in replies if r.status == 429)
    assert throttled.headers["Retry-After"] == "1"
    assert throttled.body["error"]["code"] == "ApplicationThrottled"
    assert "MailboxConcurrency" in throttled.body["error"]["message"]
    assert other.status == 200
    stats = server.sim.stats()
    assert stats["maxConcurrencyPerMailbox"][seeded.alice] == 4
    assert stats["throttled429"] == 3


async def test_request_budget_window(graph: Graph, seeded: Seeded, server: GraphSimServer) -> None:
    server.sim.set_switches(request_budget=3, budget_window_seconds=60)
    statuses = [(await graph.get(f"/users/{seeded.alice}/events")).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    last = await graph.get(f"/users/{seeded.alice}/events")
    assert 1 <= int(last.headers["Retry-After"]) <= 60
    assert (await graph.get(f"/users/{seeded.bob}/events")).status == 200


async def test_injected_faults(graph: Graph, seeded: Seeded, server: GraphSimServer) -> None:
    server.sim.add_fault(r"/calendarView", status=503, count=1, retry_after="2")
    window = "startDateTime=2026-01-01T00:00:00Z&endDateTime=2026-02-01T00:00:00Z"
    url = f"/users/{seeded.alice}/calendarView?{window}"
    first = await graph.get(url)
    assert first.status == 503
    assert first.headers["Retry-After"] == "2"
    assert first.body["error"]["innerError"]["request-id"] == first.headers["request-id"]
    assert (await graph.get(url)).status == 200
    server.sim.add_fault(r"/events$", status=504, method="POST")
    assert (await graph.post(f"/users/{seeded.alice}/events", event_body())).status == 504
    assert (await graph.get(f"/users/{seeded.alice}/events")).status == 200
    server.sim.clear_faults()
    assert (await graph.post(f"/users/{seeded.alice}/events", event_body())).status == 201


async def test_batch_limits_inner_throttling_and_depends_on(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    get = {"method": "GET", "url": f"/users/{seeded.alice}/events"}
    too_many = await graph.post("/$batch", {"requests": [{"id": str(i), **get} for i in range(21)]})
    assert too_many.status == 400
    dup = await graph.post("/$batch", {"requests": [{"id": "1", **get}, {"id": "1", **get}]})
    assert dup.status == 400
    mixed = await graph.post(
        "/$batch",
        {
            "requests": [
                {
                    "id": "a",
                    "method": "POST",
                    "url": f"/users/{seeded.alice}/events",
                    "headers": {"Content-Type": "application/json"},
                    "body": event_body("batched"),
                },
                {"id": "b", "method": "GET", "url": "/users/nobody@contoso.example/events"},
                {
                    "id": "c",
                    "method": "GET",
                    "url": f"/users/{seeded.alice}/events",
                    "dependsOn": ["b"],
                },
            ]
        },
    )
    assert mixed.status == 200
    by_id = {r["id"]: r for r in mixed.body["responses"]}
    assert by_id["a"]["status"] == 201
    assert by_id["a"]["body"]["subject"] == "batched"
    assert by_id["b"]["status"] == 404
    assert by_id["c"]["status"] == 424
    assert any(r["batch"] for r in server.sim.request_log)
    server.sim.set_switches(max_concurrency=1, latency_ms=800)
    throttled = await graph.post("/$batch", {"requests": [{"id": str(i), **get} for i in range(3)]})
    statuses = sorted(r["status"] for r in throttled.body["responses"])
    assert statuses == [200, 429, 429]
    inner = next(r for r in throttled.body["responses"] if r["status"] == 429)
    assert inner["headers"]["Retry-After"] == "1"
