"""The simulator is usable from plain Python (no server, no event loop)."""

from __future__ import annotations

from kakehashi.garoon_sim import GaroonSimulator


def test_person_actions_without_a_server_record_hints() -> None:
    sim = GaroonSimulator()
    sim.add_user("sato", password="pw", id=1)
    sim.hints.configure("http://127.0.0.1:9/never", {"X-Kakehashi-Secret": "s"})
    body = {
        "subject": "朝会",
        "start": {"dateTime": "2024-03-04T09:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2024-03-04T09:15:00+09:00", "timeZone": "Asia/Tokyo"},
        "repeat": {"type": "weekday", "end_date": "2024-03-15"},
    }
    ev = sim.person_create("sato", body)
    sim.person_delete("sato", ev.id, "ON_AND_AFTER", "2024-03-11")
    assert [h["eventType"] for h in sim.hints.emitted] == [
        "schedule.event.create.submit.success",
        "schedule.event.delete.submit.success",
    ]
    assert sim.hints.in_flight == 0  # nothing to post with: recorded only
    raw = sim.raw_events()
    assert raw[0]["repeat"]["end_date"] == "2024-03-10"
    assert raw[0]["event_type"] == "REPEATING"
