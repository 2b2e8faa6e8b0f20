"""Hints: read the event with our own credentials, publish what Graph really holds."""

from __future__ import annotations

from datetime import timedelta

from kakehashi.graph_connector.metrics import HANDLED
from tests.graph_connector.support import TOKYO, graph_body, harness, next_monday, tokyo
from tests.support.waiting import wait_until


async def test_hint_becomes_an_observation_of_what_graph_holds() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(
            "sato@contoso.example",
            graph_body(
                "Budget review",
                day,
                location={"displayName": "Room 1"},
                body={"contentType": "text", "content": "bring numbers"},
            ),
        )
        hint = h.hint(made["id"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.source_id == made["id"]
        assert obs.version == h.sim.raw_event("sato@contoso.example", made["id"]).change_key
        assert obs.ical_uid == made["iCalUId"]
        assert obs.is_organizer_copy is True
        assert obs.kakehashi_tag is None
        assert obs.deleted is False
        assert obs.user_link_id == h.sato.id
        assert obs.modified_at
        ev = obs.event
        assert ev is not None
        assert ev.title == "Budget review"
        assert ev.location == "Room 1"
        assert ev.body == "bring numbers"
        assert ev.timezone == TOKYO
        assert ev.start == tokyo(day, 10)
        assert ev.end - ev.start == timedelta(hours=1)  # type: ignore[operator]
        assert ev.versions.graph == obs.version


async def test_hint_for_a_vanished_event_is_a_deletion() -> None:
    async with harness() as h:
        made = h.sim.person_create("sato@contoso.example", graph_body("x", next_monday()))
        h.sim.person_delete("sato@contoso.example", made["id"])
        hint = h.hint(made["id"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.deleted is True
        assert obs.source_id == made["id"]
        assert obs.event is None


async def test_attendee_copy_and_cancelled_copy() -> None:
    async with harness() as h:
        made = h.sim.person_create(
            "sato@contoso.example",
            graph_body(
                "Sync",
                next_monday(),
                attendees=[{"emailAddress": {"address": "suzuki@contoso.example"}}],
            ),
        )
        copy = next(
            e for e in h.mailbox(h.suzuki) if e["iCalUId"] == made["iCalUId"]
        )  # Exchange's copy in the attendee's mailbox
        hint = h.hint(copy["id"], h.suzuki)
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.is_organizer_copy is False
        assert obs.ical_uid == made["iCalUId"]
        assert obs.user_link_id == h.suzuki.id
        h.sim.person_delete("sato@contoso.example", made["id"])  # cancels the copy
        again = h.hint(copy["id"], h.suzuki)
        await h.send(again)
        [gone] = await h.observations_of(again)
        assert gone.deleted is True


async def test_hint_for_an_unknown_user_is_acked_and_logged() -> None:
    async with harness() as h:
        before = HANDLED.labels("hint", "skipped")._value.get()
        hint = h.hint("whatever").model_copy(update={"user_id": "nobody@contoso.example"})
        await h.send(hint)
        await wait_until(lambda: HANDLED.labels("hint", "skipped")._value.get() > before)
        assert not h.observed
        assert not h.bus.dead_letters("graph_connector.hints")  # type: ignore[attr-defined]
        assert not [r for r in h.sim.request_log if r["method"] != "POST"]


async def test_a_missing_mailbox_is_not_a_deleted_calendar() -> None:
    async with harness() as h:
        made = h.sim.person_create("sato@contoso.example", graph_body("kept", next_monday()))
        assert h.sato.graph_user_id is not None
        del h.sim.users[h.sato.graph_user_id]  # the user left: Graph answers ErrorInvalidUser
        before = HANDLED.labels("hint", "skipped")._value.get()
        await h.send(h.hint(made["id"]))
        await wait_until(lambda: HANDLED.labels("hint", "skipped")._value.get() > before)
        assert h.observed == []  # no "deleted" observation for an event we could not read
