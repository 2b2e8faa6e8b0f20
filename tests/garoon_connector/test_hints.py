"""Hints -> the event read again -> ObservedGaroon (hints are not truth)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import SecretStr

from kakehashi.bus import Poison, Retry
from kakehashi.contracts.event import Frequency, Recurrence, Weekday
from kakehashi.contracts.messages import TeamsMeetingRequest
from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.garoon_connector.errors import CREDENTIALS_RETRY_DELAY
from tests.garoon_connector.support import (
    TOKYO,
    harness,
    normalized,
    rest_event,
    soon,
    stamp,
    tokyo,
)
from tests.support.waiting import wait_until


async def test_hint_gives_normalized_observation() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(
            rest_event(
                "Design review",
                day,
                notes="Agenda: API",
                eventMenu="会議",
                attendees=[{"type": "USER", "code": "sato"}, {"type": "USER", "code": "suzuki"}],
                facilities=[{"code": "room-a"}],
                companyInfo={"name": "ACME", "address": "Tokyo 1-2-3"},
            )
        )
        hint = h.hint(eid, "create")
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.source_id == eid
        assert not obs.deleted
        assert obs.user_link_id == h.sato.id
        assert obs.version
        assert obs.version.startswith(obs.modified_at or "-")
        assert obs.kakehashi_tag is None
        ev = obs.event
        assert ev is not None
        assert (ev.title, ev.body, ev.category) == ("Design review", "Agenda: API", "会議")
        assert ev.start == tokyo(day, 10)
        assert ev.end == tokyo(day, 11)
        assert ev.timezone == TOKYO
        assert ev.organizer is not None
        assert ev.organizer.garoon_login == "sato"
        assert ev.organizer.email == "sato@contoso.example"
        assert [p.garoon_login for p in ev.attendees] == ["suzuki"]
        assert [f.garoon_code for f in ev.facilities] == ["room-a"]
        assert ev.location == "Tokyo 1-2-3"
        assert ev.company.name == "ACME"


async def test_same_event_read_twice_has_the_same_version() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Stable", soon()))
        first, second = h.hint(eid), h.hint(eid)
        await h.send(first)
        await h.send(second)
        [a] = await h.observations_of(first)
        [b] = await h.observations_of(second)
        assert a.version == b.version


async def test_delete_hint_is_confirmed_by_a_read() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Going away", soon()))
        h.sim.person_delete("sato", eid, "ALL", None)
        hint = h.hint(eid, "delete", range="ALL")
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.deleted
        assert obs.event is None
        assert obs.source_id == eid


async def test_delete_hint_for_an_event_that_still_exists_observes_it() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Still here", soon()))
        hint = h.hint(eid, "delete", range="ALL")  # forged or replayed: it is not deleted
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert not obs.deleted
        assert obs.event is not None
        assert obs.event.title == "Still here"


async def test_repeating_event_reads_rule_and_exclusions_through_soap() -> None:
    async with harness() as h:
        first = soon(3)
        eid = h.person_create(
            {
                **rest_event("Weekly", first),
                "repeat": {
                    "type": "week",
                    "week": str((first.isoweekday()) % 7),
                    "start_date": first.isoformat(),
                    "end_date": (first + timedelta(days=70)).isoformat(),
                    "start_time": "10:00:00",
                    "end_time": "11:00:00",
                },
            }
        )
        second = first + timedelta(days=7)
        h.sim.person_delete("sato", eid, "THIS_ONLY", second.isoformat())
        hint = h.hint(eid, "delete", range="THIS_ONLY")
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        ev = obs.event
        assert ev is not None
        assert ev.recurrence is not None
        assert ev.recurrence.frequency == Frequency.WEEKLY
        assert ev.recurrence.weekdays == (list(Weekday)[first.weekday()],)
        assert ev.recurrence.excluded == (second,)
        assert ev.start == tokyo(first, 10)
        assert h.sim.log.counts["SOAP ScheduleGetEventsById"] >= 1


async def test_teams_button_hint_is_observed_and_forwarded_with_invitees() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Client call", soon()))
        hint = h.hint(eid, "teams_meeting", invitees=["guest@example.org"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.event is not None
        assert obs.event.title == "Client call"
        [request] = await wait_until(lambda: h.teams, message="teams request")
        assert isinstance(request, TeamsMeetingRequest)
        assert request.garoon_event_id == eid
        assert request.invitees == ["guest@example.org"]
        assert request.user_link_id == h.sato.id
        # A redelivered hint asks once: the request id is derived from the hint's.
        await h.send(hint)
        await h.observations_of(hint, count=1)
        assert len({m.message_id for m in h.teams}) == 1


async def test_teams_button_on_a_deleted_event_asks_for_nothing() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Gone", soon()))
        h.sim.person_delete("sato", eid)
        hint = h.hint(eid, "teams_meeting", invitees=["guest@example.org"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.deleted
        assert h.teams == []


async def test_a_user_linked_moments_ago_is_not_missed_by_a_cached_view() -> None:
    async with harness() as h:
        warm = h.hint(h.person_create(rest_event("Warm-up", soon())))
        await h.send(warm)
        await h.observations_of(warm)  # the connector now holds a view without tanaka
        h.sim.add_user("tanaka", "Tanaka", password="pw", id=9)
        await h.store.user_links.upsert(
            UserLink(
                tenant_id=h.sato.tenant_id,
                garoon_login="tanaka",
                m365_address="tanaka@contoso.example",
                status=LinkStatus.LINKED,
                linked_at=datetime.now(UTC) - timedelta(days=1),
            )
        )
        eid = h.person_create(
            rest_event("Fresh link", soon(), attendees=[{"type": "USER", "code": "tanaka"}]),
            who="tanaka",
        )
        hint = h.hint(eid).model_copy(update={"garoon_user": "tanaka"})
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.event is not None
        assert obs.event.title == "Fresh link"


async def test_hint_about_unlinked_users_event_publishes_nothing() -> None:
    async with harness() as h:
        h.sim.add_user("tanaka", "Tanaka", password="pw", id=9)
        eid = h.person_create(
            rest_event("Not ours", soon(), attendees=[{"type": "USER", "code": "tanaka"}]),
            who="tanaka",
        )
        hint = h.hint(eid).model_copy(update={"garoon_user": "tanaka"})
        other = h.hint(h.person_create(rest_event("Ours", soon())))
        await h.send(hint)
        await h.send(other)
        await h.observations_of(other)
        assert h.about(eid) == []


async def test_mapped_event_turned_private_is_not_reported_deleted() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(rest_event("Soon private", day))
        await h.mapped(eid, normalized("Soon private", day))
        h.sim.person_edit("sato", eid, {"visibilityType": "PRIVATE"}, "ALL", None)
        hidden = h.hint(eid)
        other = h.hint(h.person_create(rest_event("Public", day, hour=15)))
        await h.send(hidden)
        await h.send(other)
        await h.observations_of(other)
        assert h.about(eid) == []
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 0
        assert not report.blocked


async def test_refused_service_account_is_retried_slowly() -> None:
    async with harness() as h:
        tenant = await h.store.tenants.get("t1")
        assert tenant is not None
        assert tenant.garoon is not None
        wrong = tenant.garoon.model_copy(update={"password": SecretStr("wrong")})
        await h.store.tenants.put(tenant.model_copy(update={"garoon": wrong}))
        h.connector.cache.invalidate()
        with pytest.raises(Retry) as caught:
            await h.connector.hints(h.hint("1"))
        assert caught.value.delay == CREDENTIALS_RETRY_DELAY


async def test_hint_for_unknown_tenant_is_poison() -> None:
    async with harness() as h:
        with pytest.raises(Poison):
            await h.connector.hints(h.hint("1").model_copy(update={"tenant_id": "nope"}))


def _weekly_body(subject: str, first: date, weeks: int = 8) -> dict[str, object]:
    return {
        **rest_event(subject, first),
        "repeat": {
            "type": "week",
            "week": str(first.isoweekday() % 7),
            "start_date": first.isoformat(),
            "end_date": (first + timedelta(days=7 * (weeks - 1))).isoformat(),
            "start_time": "10:00:00",
            "end_time": "11:00:00",
        },
    }


async def test_browser_split_this_is_linked_to_its_series() -> None:
    async with harness() as h:
        first = soon(3)
        series = h.person_create(_weekly_body("Standup", first))
        await h.mapped(series, normalized("Standup", first, recurrence=weekly_rule(first)))
        day = first + timedelta(days=14)
        split = h.sim.person_edit(
            "sato",
            series,
            {"start": stamp(day, 15), "end": stamp(day, 16)},
            "THIS_ONLY",
            day.isoformat(),
        )
        hint = h.hint(str(split.id), range="THIS_ONLY")
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.source_id != series
        assert obs.series_id == series


async def test_browser_split_after_is_linked_to_its_series() -> None:
    async with harness() as h:
        first = soon(3)
        series = h.person_create(_weekly_body("Retro", first))
        await h.mapped(series, normalized("Retro", first, recurrence=weekly_rule(first)))
        day = first + timedelta(days=21)
        split = h.sim.person_edit(
            "sato", series, {"subject": "Retro v2"}, "ON_AND_AFTER", day.isoformat()
        )
        hint = h.hint(str(split.id), range="ON_AND_AFTER")
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.event is not None
        assert obs.event.recurrence is not None
        assert obs.series_id == series


def weekly_rule(first: date) -> Recurrence:
    return Recurrence(
        frequency=Frequency.WEEKLY,
        weekdays=(list(Weekday)[first.weekday()],),
        start_date=first,
        until=first + timedelta(days=49),
    )
