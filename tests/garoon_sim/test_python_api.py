"""The simulator is usable from plain Python (no server, no event loop)."""

from __future__ import annotations

import pytest

from kakehashi.garoon_sim import GaroonError, GaroonSimulator


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


def test_answering_the_attendance_check_is_an_edit_of_ones_own_answer() -> None:
    sim = GaroonSimulator()
    sim.add_user("sato", password="pw", id=1)
    sim.add_user("suzuki", password="pw", id=2)
    body = {
        "subject": "出欠",
        "start": {"dateTime": "2024-03-04T09:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2024-03-04T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "attendees": [{"type": "USER", "code": "sato"}, {"type": "USER", "code": "suzuki"}],
        "useAttendanceCheck": True,
    }
    ev = sim.person_create("sato", body)
    version = ev.version
    answered = sim.person_respond("suzuki", ev.id, "DECLINED", "出張中")
    assert [(m.id, m.status, m.comment) for m in answered.attendees] == [
        (1, "PENDING", ""),
        (2, "DECLINED", "出張中"),
    ]
    assert answered.version > version
    assert sim.hints.emitted[-1]["eventType"] == "schedule.event.edit.submit.success"
    assert sim.hints.emitted[-1]["eventId"] == str(ev.id)
    with pytest.raises(GaroonError):
        sim.person_respond("suzuki", ev.id, "MAYBE")
    plain = sim.person_create("sato", {**body, "useAttendanceCheck": False})
    with pytest.raises(GaroonError):
        sim.person_respond("suzuki", plain.id, "ACCEPTED")
