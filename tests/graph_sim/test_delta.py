"""calendarView delta: paging, delta links, @removed, thin occurrences, lost sync state."""

from __future__ import annotations

from typing import Any

from kakehashi.graph_sim import GraphSimServer

from .conftest import Graph, Seeded, event_body

WINDOW = "startDateTime=2026-05-01T00:00:00Z&endDateTime=2026-06-01T00:00:00Z"


async def _drain(graph: Graph, url: str, page_size: int = 2) -> tuple[list[Any], str]:
    items: list[Any] = []
    while True:
        reply = await graph.get(url, headers={"Prefer": f"odata.maxpagesize={page_size}"})
        assert reply.status == 200, reply.body
        assert len(reply.body["value"]) <= page_size
        items += reply.body["value"]
        if "@odata.deltaLink" in reply.body:
            return items, reply.body["@odata.deltaLink"]
        url = reply.body["@odata.nextLink"]
        assert "$skiptoken" in url


async def test_delta_rounds(graph: Graph, seeded: Seeded, server: GraphSimServer) -> None:
    a = (await graph.post(f"/users/{seeded.alice}/events", event_body("a"))).body
    b = (await graph.post(f"/users/{seeded.alice}/events", event_body("b"))).body
    series = event_body(
        "series",
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "numberOfOccurrences": 3, "startDate": "2026-05-12"},
        },
    )
    await graph.post(f"/users/{seeded.alice}/events", series)
    items, delta = await _drain(graph, f"/users/{seeded.alice}/calendarView/delta?{WINDOW}")
    assert len(items) == 5
    thin = [i for i in items if i.get("type") == "occurrence"]
    assert len(thin) == 3
    assert set(thin[0]) == {
        "@odata.etag",
        "id",
        "type",
        "seriesMasterId",
        "start",
        "end",
    }
    assert "$deltatoken" in delta
    empty, delta = await _drain(graph, delta)
    assert empty == []
    await graph.patch(f"/users/{seeded.alice}/events/{a['id']}", {"subject": "a2"})
    await graph.delete(f"/users/{seeded.alice}/events/{b['id']}")
    await graph.post(
        f"/users/{seeded.alice}/events",
        event_body(
            "outside",
            start={"dateTime": "2026-07-01T00:00:00", "timeZone": "UTC"},
            end={"dateTime": "2026-07-01T01:00:00", "timeZone": "UTC"},
        ),
    )
    changes, delta = await _drain(graph, delta)
    assert {c["id"]: c.get("@removed") for c in changes} == {
        a["id"]: None,
        b["id"]: {"reason": "deleted"},
    }
    # Moving an event out of the window reports it as removed too.
    await graph.patch(
        f"/users/{seeded.alice}/events/{a['id']}",
        {
            "start": {"dateTime": "2026-07-02T00:00:00", "timeZone": "UTC"},
            "end": {"dateTime": "2026-07-02T01:00:00", "timeZone": "UTC"},
        },
    )
    moved, _ = await _drain(graph, delta)
    assert moved == [
        {"@odata.type": "#microsoft.graph.event", "id": a["id"], "@removed": {"reason": "deleted"}}
    ]
    server.sim.delta_states.clear()
    lost = await graph.get(delta)
    assert lost.status == 410


async def test_deleted_occurrences_are_not_signalled_unless_switched(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    series = event_body(
        "series",
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "numberOfOccurrences": 3, "startDate": "2026-05-12"},
        },
    )
    master = (await graph.post(f"/users/{seeded.alice}/events", series)).body
    items, delta = await _drain(graph, f"/users/{seeded.alice}/calendarView/delta?{WINDOW}")
    occ = [i["id"] for i in items]
    await graph.delete(f"/users/{seeded.alice}/events/{occ[0]}")
    changes, delta = await _drain(graph, delta)
    # [S]: no @removed for the occurrence; the others come again (they carry the master's etag).
    assert all("@removed" not in c for c in changes)
    assert occ[0] not in [c["id"] for c in changes]
    server.sim.set_switches(delta_signal_deleted_occurrences=True)
    await graph.delete(f"/users/{seeded.alice}/events/{occ[1]}")
    changes, delta = await _drain(graph, delta)
    assert [(c["id"], c["@removed"]) for c in changes if "@removed" in c] == [
        (occ[1], {"reason": "deleted"})
    ]
    await graph.delete(f"/users/{seeded.alice}/events/{master['id']}")
    changes, _ = await _drain(graph, delta)
    assert [c["id"] for c in changes if "@removed" in c] == [occ[2]]
