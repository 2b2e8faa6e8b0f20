"""Commands: create (idempotent, tagged), update (named fields only), delete, Teams meeting."""

from __future__ import annotations

from kakehashi.contracts.event import Facility, Person, Response, Visibility
from kakehashi.contracts.messages import CommandOp, CommandOutcome
from kakehashi.graph_connector.mailbox import TAG_ID
from tests.graph_connector.support import graph_body, harness, next_monday, normalized, person

SATO = "sato@contoso.example"


def _tag(event: dict[str, object]) -> str | None:
    for prop in event.get("singleValueExtendedProperties") or []:  # type: ignore[attr-defined]
        if prop["id"].lower() == TAG_ID.lower():
            return str(prop["value"])
    return None


async def test_create_makes_one_tagged_event_and_reports_the_echo_version() -> None:
    async with harness() as h:
        ev = normalized("Planning", next_monday(), location="Room 7", body="agenda")
        cmd = h.command(CommandOp.CREATE, event=ev)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        [made] = h.mailbox()
        assert result.target_id == made["id"]
        assert result.ical_uid == made["iCalUId"]
        assert made["transactionId"] == cmd.idempotency_key
        assert _tag(made) == cmd.mapping_id
        assert made["subject"] == "Planning"
        assert result.event is not None
        assert result.event.title == "Planning"
        assert result.event.location == "Room 7"
        assert result.event.body == "agenda"
        # The notification that follows our write shows the version the result reported.
        hint = h.hint(made["id"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.version == result.new_version == made["changeKey"]
        assert obs.kakehashi_tag == cmd.mapping_id
        assert h.sim.outbox == []  # no attendees, no mail


async def test_a_replayed_create_finds_the_first_copy() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("Once", next_monday()))
        await h.send(cmd)
        first = await h.result_of(cmd)
        # The same command again under a new message id (e.g. re-decided after a lost result).
        replay = cmd.model_copy(update={"message_id": "replay-" + cmd.message_id})
        await h.send(replay)
        second = await h.result_of(replay)
        assert second.target_id == first.target_id
        assert len(h.mailbox()) == 1
        posts = [r for r in h.sim.request_log if r["method"] == "POST" and "events" in r["path"]]
        assert len(posts) == 1


async def test_a_recreate_under_a_new_key_is_a_new_copy() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("Again", next_monday()))
        await h.send(cmd)
        first = await h.result_of(cmd)
        assert first.target_id is not None
        h.sim.person_delete(SATO, first.target_id)
        again = h.command(
            CommandOp.CREATE,
            event=cmd.event,
            mapping_id=cmd.mapping_id,
            idempotency_key="recreate-key",
        )
        await h.send(again)
        second = await h.result_of(again)
        assert second.outcome == CommandOutcome.OK
        assert second.target_id != first.target_id
        assert len(h.mailbox()) == 1


async def test_update_writes_only_the_named_fields() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(
            SATO,
            graph_body(
                "Old title",
                day,
                location={"displayName": "Room 1"},
                body={"contentType": "text", "content": "keep me"},
            ),
        )
        wanted = normalized(
            "New title", day, hour=14, location="Elsewhere", body="replaced",
            visibility=Visibility.PRIVATE,
        )  # fmt: skip
        cmd = h.command(
            CommandOp.UPDATE,
            event=wanted,
            target_id=made["id"],
            base_version=made["changeKey"],
            fields=["title", "visibility"],
        )
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        [now] = h.mailbox()
        assert now["subject"] == "New title"
        assert now["sensitivity"] == "private"
        assert now["location"]["displayName"] == "Room 1"
        assert "keep me" in now["body"]["content"]
        assert now["start"]["dateTime"].startswith(made["start"]["dateTime"][:16])
        assert result.new_version == now["changeKey"]
        assert result.event is not None
        assert result.event.title == "New title"
        assert result.event.location == "Room 1"
        patches = [r for r in h.sim.request_log if r["method"] == "PATCH"]
        assert len(patches) == 1


async def test_update_based_on_an_old_version_is_refused_with_what_graph_holds() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(SATO, graph_body("Mine", day))
        h.sim.person_update(SATO, made["id"], {"subject": "Edited in Outlook"})
        cmd = h.command(
            CommandOp.UPDATE,
            event=normalized("From Garoon", day),
            target_id=made["id"],
            base_version=made["changeKey"],
            fields=["title"],
        )
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.FAILED
        assert result.event is not None
        assert result.event.title == "Edited in Outlook"
        assert h.mailbox()[0]["subject"] == "Edited in Outlook"


async def test_update_of_a_vanished_event_is_not_found() -> None:
    async with harness() as h:
        cmd = h.command(
            CommandOp.UPDATE,
            event=normalized("x", next_monday()),
            target_id="AAMkGONE",
            fields=["title"],
        )
        await h.send(cmd)
        assert (await h.result_of(cmd)).outcome == CommandOutcome.NOT_FOUND


async def test_delete_and_delete_again() -> None:
    async with harness() as h:
        made = h.sim.person_create(SATO, graph_body("Bye", next_monday()))
        cmd = h.command(CommandOp.DELETE, target_id=made["id"], base_version=made["changeKey"])
        await h.send(cmd)
        assert (await h.result_of(cmd)).outcome == CommandOutcome.OK
        assert h.mailbox() == []
        again = cmd.model_copy(update={"message_id": "again-" + cmd.message_id})
        await h.send(again)
        assert (await h.result_of(again)).outcome == CommandOutcome.OK  # NotFound = done


async def test_writes_that_are_not_meant_to_notify_send_no_mail() -> None:
    async with harness() as h:
        day = next_monday()
        quiet = h.command(
            CommandOp.CREATE,
            event=normalized("Quiet", day, attendees=(person("suzuki@contoso.example"),)),
            notify_attendees=False,
        )
        await h.send(quiet)
        made = await h.result_of(quiet)
        assert made.target_id is not None
        assert h.sim.outbox == []
        assert h.mailbox(h.suzuki) == []  # no meeting copy either
        retitle = h.command(
            CommandOp.UPDATE,
            event=normalized("Quiet 2", day),
            target_id=made.target_id,
            fields=["title"],
        )
        await h.send(retitle)
        await h.result_of(retitle)
        assert h.sim.outbox == []
        # A deliberate meeting create (notify_attendees) invites the linked attendee, once,
        # from the organizer's mailbox; Exchange puts the copy into the attendee's mailbox.
        loud = h.command(
            CommandOp.CREATE,
            event=normalized("Meeting", day, attendees=(person("suzuki@contoso.example"),)),
            notify_attendees=True,
        )
        await h.send(loud)
        await h.result_of(loud)
        assert [(m["kind"], m["from"], m["to"]) for m in h.sim.outbox] == [
            ("invitation", "sato@contoso.example", ["suzuki@contoso.example"])
        ]
        assert len(h.mailbox(h.suzuki)) == 1


async def test_a_quiet_write_still_books_the_room_but_invites_no_people() -> None:
    async with harness() as h:
        day = next_monday()
        room = Facility(garoon_code="room-a", name="Room A", room_email="room-a@contoso.example")
        quiet = h.command(
            CommandOp.CREATE,
            event=normalized(
                "In room",
                day,
                attendees=(person("suzuki@contoso.example"),),
                facilities=(room,),
            ),
            notify_attendees=False,
        )
        await h.send(quiet)
        made = await h.result_of(quiet)
        assert made.target_id is not None
        [event] = h.mailbox()
        assert [(a["type"], a["emailAddress"]["address"]) for a in event["attendees"]] == [
            ("resource", "room-a@contoso.example")
        ]
        # Only the room mailbox gets the booking request; no person is mailed.
        assert {to for m in h.sim.outbox for to in m["to"]} == {"room-a@contoso.example"}
        assert h.mailbox(h.suzuki) == []
        # Moving to another room rebooks it, still without inviting anyone.
        other = Facility(garoon_code="room-b", name="Room B", room_email="room-b@contoso.example")
        move = h.command(
            CommandOp.UPDATE,
            event=normalized("In room", day, facilities=(other,)),
            target_id=made.target_id,
            fields=["facilities"],
            notify_attendees=False,
        )
        await h.send(move)
        assert (await h.result_of(move)).outcome == CommandOutcome.OK
        [event] = h.mailbox()
        assert [a["emailAddress"]["address"] for a in event["attendees"]] == [
            "room-b@contoso.example"
        ]
        people = {"suzuki@contoso.example", "sato@contoso.example"}
        assert not {to for m in h.sim.outbox for to in m["to"]} & people


async def test_teams_meeting_returns_the_join_url_and_invites_guests_once() -> None:
    async with harness() as h:
        made = h.sim.person_create(SATO, graph_body("Customer call", next_monday()))
        cmd = h.command(
            CommandOp.TEAMS_MEETING,
            target_id=made["id"],
            event=normalized("Customer call", next_monday()),
            invitees=["guest@example.org"],
        )
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.join_url
        assert result.join_url.startswith("https://teams.microsoft.com/")
        [now] = h.mailbox()
        assert now["isOnlineMeeting"] is True
        assert now["onlineMeeting"]["joinUrl"] == result.join_url
        assert [a["emailAddress"]["address"] for a in now["attendees"]] == ["guest@example.org"]
        assert [(m["kind"], m["to"]) for m in h.sim.outbox] == [
            ("invitation", ["guest@example.org"])
        ]
        replay = cmd.model_copy(update={"message_id": "again-" + cmd.message_id})
        await h.send(replay)
        second = await h.result_of(replay)
        assert second.join_url == result.join_url
        assert len(h.sim.outbox) == 1


async def test_teams_meeting_for_a_missing_event_creates_it_first() -> None:
    async with harness() as h:
        cmd = h.command(
            CommandOp.TEAMS_MEETING, event=normalized("New call", next_monday()), invitees=[]
        )
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.join_url
        [made] = h.mailbox()
        assert made["onlineMeeting"]["joinUrl"] == result.join_url
        assert _tag(made) == cmd.mapping_id


async def test_a_command_for_a_disabled_user_reports_failure() -> None:
    async with harness() as h:
        await h.store.user_links.upsert(h.sato.model_copy(update={"enabled": False}))
        cmd = h.command(CommandOp.CREATE, event=normalized("x", next_monday()))
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.FAILED
        assert "disabled" in (result.error or "")
        assert h.mailbox() == []


async def test_a_body_update_keeps_the_teams_join_block() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(SATO, graph_body("Call", day))
        teams = h.command(CommandOp.TEAMS_MEETING, target_id=made["id"], invitees=[])
        await h.send(teams)
        join_url = (await h.result_of(teams)).join_url
        assert join_url
        cmd = h.command(
            CommandOp.UPDATE,
            event=normalized("Call", day, body="new agenda"),
            target_id=made["id"],
            fields=["body"],
        )
        await h.send(cmd)
        assert (await h.result_of(cmd)).outcome == CommandOutcome.OK
        [now] = h.mailbox()
        assert "new agenda" in now["body"]["content"]
        assert join_url.replace("&", "&amp;") in now["body"]["content"] or (
            join_url in now["body"]["content"]
        )
        assert now["onlineMeeting"]["joinUrl"] == join_url


async def test_respond_answers_in_the_attendees_copy_and_the_organizer_sees_it() -> None:
    async with harness() as h:
        suzuki = "suzuki@contoso.example"
        meeting = h.command(
            CommandOp.CREATE,
            event=normalized("Answer me", next_monday(), attendees=(person(suzuki),)),
            notify_attendees=True,
        )
        await h.send(meeting)
        made = await h.result_of(meeting)
        assert made.target_id is not None
        answer = Person(
            garoon_login="suzuki", email=suzuki, response=Response.ACCEPTED, comment="行きます"
        )
        respond = h.command(
            CommandOp.RESPOND, target_id=made.target_id, responses=[answer], mapping_id="m-1"
        )
        await h.send(respond)
        assert (await h.result_of(respond)).outcome == CommandOutcome.OK
        [event] = h.mailbox()
        assert [a["status"]["response"] for a in event["attendees"]] == ["accepted"]
        [copy] = h.mailbox(h.suzuki)
        assert copy["responseStatus"]["response"] == "accepted"
        # Answered in Suzuki's mailbox, with the comment, and the organizer is told.
        posts = [r for r in h.sim.request_log if r["path"].endswith("/accept")]
        assert len(posts) == 1
        replies = [m for m in h.sim.outbox if m["kind"] == "response"]
        assert [(m["to"], m.get("comment")) for m in replies] == [
            (["sato@contoso.example"], "行きます")
        ]
