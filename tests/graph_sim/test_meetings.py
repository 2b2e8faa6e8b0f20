"""Exchange-style meetings: attendee copies, updates, cancellations, responses, the outbox."""

from __future__ import annotations

from typing import Any

from kakehashi.graph_sim import GraphSimServer

from .conftest import Graph, Seeded, event_body

ATTENDEES = [
    {"type": "required", "emailAddress": {"address": "bob@contoso.example", "name": "Bob"}},
    {"type": "optional", "emailAddress": {"address": "partner@example.org", "name": "Partner"}},
]


async def _copy(graph: Graph, user: str, ical: str) -> Any:
    listed = await graph.get(f"/users/{user}/events?$filter=iCalUId eq '{ical}'")
    assert len(listed.body["value"]) == 1, listed.body
    return listed.body["value"][0]


async def test_copies_updates_responses_and_cancellation(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    org = (
        await graph.post(f"/users/{seeded.alice}/events", event_body("Review", attendees=ATTENDEES))
    ).body
    assert org["attendees"][0]["status"]["response"] == "none"
    copy = await _copy(graph, seeded.bob, org["iCalUId"])
    assert copy["id"] != org["id"]
    assert copy["isOrganizer"] is False
    assert copy["responseStatus"]["response"] == "notResponded"
    assert copy["organizer"]["emailAddress"]["address"] == "alice@contoso.example"
    invites = [m for m in server.sim.outbox if m["kind"] == "invitation"]
    assert len(invites) == 1
    assert invites[0]["to"] == ["bob@contoso.example", "partner@example.org"]

    await graph.patch(f"/users/{seeded.alice}/events/{org['id']}", {"subject": "Review v2"})
    copy2 = await _copy(graph, seeded.bob, org["iCalUId"])
    assert copy2["subject"] == "Review v2"
    assert copy2["changeKey"] != copy["changeKey"]
    assert [m["kind"] for m in server.sim.outbox] == ["invitation", "update"]
    # Organizer-local fields do not mail anybody.
    await graph.patch(f"/users/{seeded.alice}/events/{org['id']}", {"categories": ["Garoon"]})
    assert len(server.sim.outbox) == 2

    assert (
        await graph.post(
            f"/users/{seeded.bob}/events/{copy['id']}/accept",
            {"comment": "ok", "sendResponse": True},
        )
    ).status == 202
    org_now = (await graph.get(f"/users/{seeded.alice}/events/{org['id']}")).body
    assert org_now["attendees"][0]["status"]["response"] == "accepted"
    assert server.sim.outbox[-1]["kind"] == "response"
    assert server.sim.outbox[-1]["to"] == ["alice@contoso.example"]
    assert (await graph.post(f"/users/{seeded.alice}/events/{org['id']}/accept", {})).status == 400

    assert (await graph.delete(f"/users/{seeded.alice}/events/{org['id']}")).status == 204
    cancelled = (await graph.get(f"/users/{seeded.bob}/events/{copy['id']}")).body
    assert cancelled["isCancelled"] is True
    assert cancelled["subject"].startswith("Canceled: ")
    assert server.sim.outbox[-1]["kind"] == "cancellation"


async def test_removed_copies_switch_and_attendee_removal(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    server.sim.set_switches(cancelled_copies="remove")
    both = [*ATTENDEES, {"emailAddress": {"address": "carol@contoso.example"}}]
    org = (await graph.post(f"/users/{seeded.alice}/events", event_body(attendees=both))).body
    carol_copy = await _copy(graph, seeded.carol, org["iCalUId"])
    server.sim.outbox.clear()
    await graph.patch(f"/users/{seeded.alice}/events/{org['id']}", {"attendees": both[:2]})
    assert (await graph.get(f"/users/{seeded.carol}/events/{carol_copy['id']}")).status == 404
    assert [(m["kind"], m["to"]) for m in server.sim.outbox] == [
        ("cancellation", ["carol@contoso.example"])
    ]


async def test_person_actions_behave_like_outlook(
    graph: Graph, seeded: Seeded, server: GraphSimServer
) -> None:
    sim = server.sim
    made = sim.person_create(
        "alice@contoso.example", event_body("From Outlook", attendees=ATTENDEES[:1])
    )
    bob_copy = next(
        e for e in sim.mailbox_events("bob@contoso.example") if e["iCalUId"] == made["iCalUId"]
    )
    sim.person_respond("bob@contoso.example", bob_copy["id"], "tentativelyAccept")
    sim.person_update("alice@contoso.example", made["id"], {"subject": "From Outlook v2"})
    got = (await graph.get(f"/users/{seeded.alice}/events/{made['id']}")).body
    assert got["subject"] == "From Outlook v2"
    assert got["attendees"][0]["status"]["response"] == "tentativelyAccepted"
    assert {m["actor"] for m in sim.outbox} == {"person"}
    sim.person_delete("alice@contoso.example", made["id"])
    assert (await graph.get(f"/users/{seeded.alice}/events/{made['id']}")).status == 404


async def test_occurrence_edit_reaches_copies(graph: Graph, seeded: Seeded) -> None:
    body = event_body(
        "Weekly",
        attendees=ATTENDEES[:1],
        recurrence={
            "pattern": {"type": "daily", "interval": 1},
            "range": {"type": "numbered", "numberOfOccurrences": 3, "startDate": "2026-05-12"},
        },
    )
    org = (await graph.post(f"/users/{seeded.alice}/events", body)).body
    window = "startDateTime=2026-05-11T00:00:00Z&endDateTime=2026-05-20T00:00:00Z"
    occ = (await graph.get(f"/users/{seeded.alice}/events/{org['id']}/instances?{window}")).body[
        "value"
    ]
    await graph.patch(
        f"/users/{seeded.alice}/events/{occ[0]['id']}", {"subject": "Weekly (special)"}
    )
    await graph.delete(f"/users/{seeded.alice}/events/{occ[1]['id']}")
    bob_view = (await graph.get(f"/users/{seeded.bob}/calendarView?{window}")).body["value"]
    assert [(v["type"], v["subject"]) for v in bob_view] == [
        ("exception", "Weekly (special)"),
        ("occurrence", "Weekly"),
    ]
