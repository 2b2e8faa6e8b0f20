"""Commands -> Garoon writes -> results (with the version and the event as read back)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kakehashi.contracts.envelope import new_id
from kakehashi.contracts.event import Frequency, Recurrence, Visibility, Weekday
from kakehashi.contracts.messages import CommandOp, CommandOutcome, ObservedEvent, Side
from kakehashi.engine.decision import DecisionContext
from kakehashi.engine.occurrences import split_create
from kakehashi.garoon_client import TransportError
from kakehashi.garoon_connector.read import MARKER
from tests.garoon_connector.support import Harness, harness, normalized, rest_event, soon, tokyo
from tests.support.buses import BusKind, on_both_buses
from tests.support.waiting import wait_until


def marker_of(h: Harness, event_id: str) -> dict[str, Any] | None:
    raw = h.raw(event_id) or {}
    value = (raw.get("datastore") or {}).get(MARKER)
    return value if isinstance(value, dict) else None


async def test_create_writes_one_event_with_marker_and_reports_its_version() -> None:
    async with harness() as h:
        day = soon()
        cmd = h.command(CommandOp.CREATE, event=normalized("From Outlook", day, body="Notes"))
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.target_id
        [made] = h.events_titled("From Outlook")
        assert str(made["id"]) == result.target_id
        assert marker_of(h, result.target_id) == {
            "mapping_id": cmd.mapping_id,
            "idempotency_key": cmd.idempotency_key,
            "organizer": "sato",
            "series_id": None,
            "occurrence": None,
        }
        assert result.new_version
        assert result.event is not None
        assert result.event.title == "From Outlook"
        assert result.event.body == "Notes"
        # The organizer is the linked user, not the service account that made the call.
        assert result.event.organizer is not None
        assert result.event.organizer.garoon_login == "sato"
        assert result.event.start == tokyo(day, 10)
        # The echo: observing the event now gives the version the result reported.
        hint = h.hint(result.target_id)
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.version == result.new_version
        assert obs.kakehashi_tag == cmd.idempotency_key
        assert obs.event == result.event


async def test_create_replayed_finds_the_first_copy() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("Once only", soon()))
        again = cmd.model_copy(update={"message_id": new_id()})  # processed mark lost
        await h.send(cmd)
        first = await h.result_of(cmd)
        await h.send(again)
        second = await h.result_of(again)
        assert first.target_id == second.target_id
        assert len(h.events_titled("Once only")) == 1


@on_both_buses
async def test_create_retried_after_a_lost_response_makes_one_event(
    bus_kind: BusKind, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with harness(bus_kind=bus_kind) as h:
        view = await h.connector.cache.get("t1")
        real = view.client.create_event
        calls: list[int] = []

        async def lossy(event: Any) -> Any:
            made = await real(event)
            calls.append(1)
            if len(calls) == 1:  # Garoon created it; the answer never arrived
                raise TransportError("connection reset by peer")
            return made

        monkeypatch.setattr(view.client, "create_event", lossy)
        cmd = h.command(CommandOp.CREATE, event=normalized("Lost answer", soon()))
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert len(calls) == 1  # the retry adopted the first copy instead of posting again
        [made] = h.events_titled("Lost answer")
        assert str(made["id"]) == result.target_id
        assert marker_of(h, result.target_id)["idempotency_key"] == cmd.idempotency_key  # type: ignore[index]


async def test_update_touches_only_the_named_fields() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(rest_event("Old title", day, notes="Keep this memo"))
        wanted = normalized("New title", day, hour=15, body="Other memo")
        cmd = h.command(CommandOp.UPDATE, event=wanted, target_id=eid, fields=["title"])
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        raw = h.raw(eid)
        assert raw is not None
        assert raw["subject"] == "New title"
        assert raw["notes"] == "Keep this memo"
        assert result.event is not None
        assert result.event.start == tokyo(day, 10)
        updated = raw["updated_at"].replace("+00:00", "Z")
        assert result.new_version
        assert result.new_version.startswith(f"{updated}~")


async def test_update_of_time_and_memo() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(rest_event("Meeting", day))
        wanted = normalized("ignored", day, hour=14, join_url="https://teams.example/j/1")
        fields = ["start", "end", "timezone", "all_day", "join_url"]
        cmd = h.command(CommandOp.UPDATE, event=wanted, target_id=eid, fields=fields)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.event is not None
        assert result.event.title == "Meeting"
        assert result.event.start == tokyo(day, 14)
        assert result.event.end == tokyo(day, 15)
        assert result.event.join_url == "https://teams.example/j/1"


async def test_update_based_on_a_stale_version_reports_what_garoon_holds() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Edited meanwhile", soon()))
        cmd = h.command(
            CommandOp.UPDATE,
            event=normalized("Mine", soon()),
            target_id=eid,
            fields=["title"],
            base_version="2000-01-01T00:00:00Z~0",
        )
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.FAILED
        assert result.event is not None
        assert result.event.title == "Edited meanwhile"
        assert h.raw(eid)["subject"] == "Edited meanwhile"  # type: ignore[index]


async def test_delete_and_delete_again() -> None:
    async with harness() as h:
        eid = h.person_create(rest_event("Doomed", soon()))
        cmd = h.command(CommandOp.DELETE, event=normalized("Doomed", soon()), target_id=eid)
        await h.send(cmd)
        assert (await h.result_of(cmd)).outcome == CommandOutcome.OK
        assert h.raw(eid) is None
        again = h.command(CommandOp.DELETE, event=normalized("Doomed", soon()), target_id=eid)
        await h.send(again)
        assert (await h.result_of(again)).outcome == CommandOutcome.NOT_FOUND


def weekly(first: Any, weeks: int = 8) -> Recurrence:
    return Recurrence(
        frequency=Frequency.WEEKLY,
        weekdays=(list(Weekday)[first.weekday()],),
        start_date=first,
        until=first + timedelta(days=7 * (weeks - 1)),
    )


async def test_repeating_series_is_created_through_soap() -> None:
    async with harness() as h:
        first = soon(3)
        ev = normalized("Weekly sync", first, recurrence=weekly(first))
        cmd = h.command(CommandOp.CREATE, event=ev)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert h.sim.log.counts["SOAP ScheduleAddEvents"] == 1
        assert h.sim.log.counts.get("POST /api/v1/schedule/events", 0) == 0
        [made] = h.events_titled("Weekly sync")
        assert made["event_type"] == "REPEATING"
        assert result.event is not None
        assert result.event.recurrence is not None
        assert result.event.recurrence.until == first + timedelta(days=49)
        assert marker_of(h, str(made["id"])) is not None


async def _series(h: Harness) -> tuple[str, Any, Any]:
    first = soon(3)
    ev = normalized("Weekly 1on1", first, recurrence=weekly(first))
    cmd = h.command(CommandOp.CREATE, event=ev)
    await h.send(cmd)
    result = await h.result_of(cmd)
    assert result.target_id
    parent = await h.mapped(result.target_id, ev)
    return result.target_id, parent, first


async def test_single_occurrence_edit_splits_it_off_through_soap_this() -> None:
    async with harness() as h:
        series_id, parent, first = await _series(h)
        day = first + timedelta(days=7)
        moved = normalized("Weekly 1on1 (moved)", day, hour=16, original_start=tokyo(day, 10))
        child = await h.mapped(None, moved, series_mapping_id=parent.id, occurrence_date=day)
        cmd = h.command(CommandOp.CREATE, event=moved, mapping_id=child.id)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.target_id
        assert result.target_id != series_id
        assert h.sim.log.counts["SOAP ScheduleModifyRepeatEvents"] == 1
        assert result.event is not None
        assert result.event.start == tokyo(day, 16)
        assert result.event.recurrence is None
        series = h.raw(series_id)
        assert series is not None
        assert len(series["repeat"]["exclusions"]) == 1
        assert marker_of(h, result.target_id)["series_id"] == series_id  # type: ignore[index]
        hint = h.hint(result.target_id)
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.series_id == series_id


async def test_the_engines_occurrence_create_splits_it_off_through_soap_this() -> None:
    """The command exactly as the engine builds it (occurrences.split_create) for an Outlook
    exception: event with original_start and no recurrence, child mapping naming the parent."""
    async with harness() as h:
        series_id, parent, first = await _series(h)
        day = first + timedelta(days=7)
        moved = normalized("Weekly 1on1 (moved in Outlook)", day, hour=16).model_copy(
            update={"original_start": tokyo(day, 10)}
        )
        obs = ObservedEvent(
            tenant_id=parent.tenant_id,
            side=Side.GRAPH,
            user_link_id=parent.user_link_id,
            source_id="graph-exception-1",
            ical_uid="ical-exception-1",
            version="ck-1",
            event=moved,
            series_id=parent.graph.id,
        )
        ctx = DecisionContext(tenant_id=parent.tenant_id, clock=lambda: datetime.now(UTC))
        decision = split_create(new_id(), obs, parent, ctx)
        child = decision.mapping
        assert child is not None
        assert (child.series_mapping_id, child.occurrence_date) == (parent.id, day)
        [cmd] = decision.commands
        assert (cmd.side, cmd.op, cmd.mapping_id) == (Side.GAROON, CommandOp.CREATE, child.id)
        assert cmd.event is not None
        assert cmd.event.recurrence is None
        assert cmd.event.original_start == tokyo(day, 10)
        await h.store.mappings.insert(child)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.target_id
        assert result.target_id != series_id
        assert h.sim.log.counts["SOAP ScheduleModifyRepeatEvents"] == 1
        assert result.event is not None
        assert result.event.title == "Weekly 1on1 (moved in Outlook)"
        assert result.event.start == tokyo(day, 16)
        series = h.raw(series_id)
        assert series is not None
        assert len(series["repeat"]["exclusions"]) == 1


async def test_single_occurrence_delete_through_soap_this() -> None:
    async with harness() as h:
        series_id, parent, first = await _series(h)
        day = first + timedelta(days=14)
        occ = normalized("Weekly 1on1", day, original_start=tokyo(day, 10))
        # Still inside the series on Garoon: no Garoon id of its own.
        child = await h.mapped(None, occ, series_mapping_id=parent.id, occurrence_date=day)
        cmd = h.command(CommandOp.DELETE, event=occ, mapping_id=child.id, target_id=None)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert h.sim.log.counts["SOAP ScheduleRemoveEventsFromRepeatEvent"] == 1
        hint = h.hint(series_id)
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.event is not None
        assert obs.event.recurrence is not None
        assert obs.event.recurrence.excluded == (day,)


async def test_command_for_unknown_user_link_fails_cleanly() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("x", soon()))
        cmd = cmd.model_copy(update={"user_link_id": "nobody"})
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.FAILED
        assert "nobody" in (result.error or "")
        await wait_until(lambda: True)


async def test_series_rule_change_overwrites_it_through_soap_all() -> None:
    async with harness() as h:
        series_id, _parent, first = await _series(h)
        removed = first + timedelta(days=7)
        h.sim.person_delete("sato", series_id, "THIS_ONLY", removed.isoformat())
        shorter = weekly(first, weeks=4)
        wanted = normalized("Weekly 1on1", first, hour=14, recurrence=shorter)
        fields = ["start", "end", "timezone", "all_day", "recurrence"]
        cmd = h.command(CommandOp.UPDATE, event=wanted, target_id=series_id, fields=fields)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert h.sim.log.counts["SOAP ScheduleModifyRepeatEvents"] == 1
        ev = result.event
        assert ev is not None
        assert ev.recurrence is not None
        assert ev.start == tokyo(first, 14)
        assert ev.recurrence.until == first + timedelta(days=21)
        assert ev.recurrence.excluded == (removed,)  # Garoon's own exclusion survives


async def test_deleted_occurrence_in_a_series_update_is_removed_through_soap_this() -> None:
    async with harness() as h:
        series_id, _parent, first = await _series(h)
        gone = first + timedelta(days=21)
        rule = weekly(first).model_copy(update={"excluded": (gone,)})
        wanted = normalized("Weekly 1on1", first, recurrence=rule)
        fields = ["start", "end", "timezone", "all_day", "recurrence"]
        cmd = h.command(CommandOp.UPDATE, event=wanted, target_id=series_id, fields=fields)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert h.sim.log.counts["SOAP ScheduleRemoveEventsFromRepeatEvent"] == 1
        assert h.sim.log.counts.get("SOAP ScheduleModifyRepeatEvents", 0) == 0
        assert result.event is not None
        assert result.event.recurrence is not None
        assert result.event.recurrence.excluded == (gone,)


def _watcher_codes(h: Harness, event_id: str) -> list[str]:
    raw = h.raw(event_id) or {}
    return [h.sim.users[w["id"]].code for w in raw.get("watchers") or []]


@pytest.mark.parametrize("series", [False, True], ids=["rest", "soap-series"])
async def test_private_event_is_written_so_the_service_account_can_read_it_back(
    series: bool,
) -> None:
    # Garoon shows a private event only to attendees and watchers: unless the service account
    # is a watcher, the copy reads as gone the moment it is written.
    async with harness() as h:
        first = soon(3)
        extra: dict[str, Any] = {"recurrence": weekly(first)} if series else {}
        ev = normalized("Private", first, visibility=Visibility.PRIVATE, **extra)
        cmd = h.command(CommandOp.CREATE, event=ev)
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.event is not None
        assert result.event.visibility == Visibility.PRIVATE
        assert _watcher_codes(h, str(result.target_id)) == ["svc"]


async def test_made_private_keeps_the_watchers_a_person_chose_and_adds_ours() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(
            rest_event("Soon private", day, watchers=[{"type": "USER", "code": "suzuki"}])
        )
        wanted = normalized("Soon private", day, visibility=Visibility.PRIVATE)
        cmd = h.command(CommandOp.UPDATE, event=wanted, target_id=eid, fields=["visibility"])
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert _watcher_codes(h, eid) == ["suzuki", "svc"]


async def test_two_deliveries_of_one_create_at_once_make_one_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A create re-sent while its first delivery is still writing (a redelivery, a command
    # re-issued by the translator) must wait for that write, not make a second event.
    async with harness() as h:
        view = await h.connector.cache.get("t1")
        real_create = view.client.create_event
        handler = h.connector.commands
        real_find = handler._find_copy
        gate = asyncio.Event()
        looked: list[int] = []

        async def slow_create(event: Any) -> Any:
            await gate.wait()
            return await real_create(event)

        async def counting_find(*args: Any) -> Any:
            looked.append(1)
            return await real_find(*args)

        monkeypatch.setattr(view.client, "create_event", slow_create)
        monkeypatch.setattr(handler, "_find_copy", counting_find)
        cmd = h.command(CommandOp.CREATE, event=normalized("Made once", soon()))
        again = cmd.model_copy(update={"message_id": new_id()})
        await h.send(cmd)
        await h.send(again)
        await wait_until(lambda: looked, message="the second delivery to look for a copy")
        gate.set()
        first, second = await h.result_of(cmd), await h.result_of(again)
        assert first.outcome == second.outcome == CommandOutcome.OK
        assert first.target_id == second.target_id
        assert len(h.events_titled("Made once")) == 1
