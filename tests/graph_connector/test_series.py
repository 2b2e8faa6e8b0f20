"""A series master hint: the master with its excluded / overridden dates, and each exception."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kakehashi.contracts.event import Frequency, Recurrence, Weekday
from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.graph_connector.support import graph_body, harness, next_monday, normalized, tokyo

SATO = "sato@contoso.example"


def _occurrences(h: Any, master_id: str) -> list[str]:
    from kakehashi.graph_sim.render import occurrence_id, occurrence_key

    ev = h.sim.raw_event(SATO, master_id)
    rows = h.sim.calendar.instances(ev, ev.start, ev.start + timedelta(days=60))
    return [occurrence_id(master_id, occurrence_key(start)) for _, start, _, _ in rows]


async def test_series_hint_observes_master_exceptions_and_cancelled_dates() -> None:
    async with harness() as h:
        first = next_monday()
        weekly = {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": 5},
        }
        master = h.sim.person_create(SATO, graph_body("Weekly", first, recurrence=weekly))
        occ = _occurrences(h, master["id"])
        assert len(occ) == 5
        second, third = first + timedelta(days=7), first + timedelta(days=14)
        h.sim.person_update(SATO, occ[1], graph_body("Weekly (moved)", second, 15))
        h.sim.person_delete(SATO, occ[2])
        # An occurrence's own hint leads to the whole series, like the master's.
        hint = h.hint(occ[1])
        await h.send(hint)
        got = await h.observations_of(hint, count=2)
        by_id = {o.source_id: o for o in got}
        series = by_id[master["id"]]
        assert series.series_id is None
        assert series.event is not None
        rule = series.event.recurrence
        assert rule is not None
        assert rule.frequency == Frequency.WEEKLY
        assert rule.weekdays == (Weekday.MO,)
        assert rule.count == 5
        assert rule.excluded == (third,)
        assert rule.overridden == (second,)
        [exception] = [o for o in got if o.source_id != master["id"]]
        assert exception.series_id == master["id"]
        assert exception.event is not None
        assert exception.event.title == "Weekly (moved)"
        assert exception.event.start == tokyo(second, 15)
        assert exception.event.original_start == tokyo(second, 10)
        assert exception.event.recurrence is None
        assert exception.kakehashi_tag is None


async def test_series_create_and_an_excluded_date_cancels_that_occurrence() -> None:
    async with harness() as h:
        first = next_monday()
        rule = Recurrence(
            frequency=Frequency.WEEKLY, weekdays=(Weekday.MO,), start_date=first, count=4
        )
        ev = normalized("Series", first, recurrence=rule)
        cmd = h.command(CommandOp.CREATE, event=ev)
        await h.send(cmd)
        made = await h.result_of(cmd)
        assert made.outcome == CommandOutcome.OK
        assert made.target_id is not None
        skip = first + timedelta(days=7)
        update = h.command(
            CommandOp.UPDATE,
            event=ev.model_copy(
                update={"recurrence": rule.model_copy(update={"excluded": (skip,)})}
            ),
            target_id=made.target_id,
            mapping_id=cmd.mapping_id,
            base_version=made.new_version,
            fields=["recurrence"],
        )
        await h.send(update)
        result = await h.result_of(update)
        assert result.outcome == CommandOutcome.OK
        assert result.event is not None
        assert result.event.recurrence is not None
        assert result.event.recurrence.excluded == (skip,)
        assert len(_occurrences(h, made.target_id)) == 3
        assert h.sim.outbox == []


async def test_series_read_through_a_later_occurrence_starts_on_the_rule_date() -> None:
    # Garoon lists a series once per occurrence: its normalized start may sit on any of them.
    # Graph refuses a range startDate other than the start's date (400), so the write anchors
    # the master on the rule's first date, at the event's wall times.
    async with harness() as h:
        first = next_monday()
        rule = Recurrence(frequency=Frequency.DAILY, start_date=first, count=5)
        ev = normalized("Series", first + timedelta(days=2), recurrence=rule)
        cmd = h.command(CommandOp.CREATE, event=ev)
        await h.send(cmd)
        made = await h.result_of(cmd)
        assert made.outcome == CommandOutcome.OK
        assert made.target_id is not None
        [master] = h.mailbox()
        assert master["start"]["dateTime"].startswith(first.isoformat())  # 10:00 Tokyo = 01:00Z
        assert master["recurrence"]["range"]["startDate"] == first.isoformat()
        assert len(_occurrences(h, made.target_id)) == 5
        # A rule change sends the start along, so the range still matches it.
        later = first + timedelta(days=1)
        update = h.command(
            CommandOp.UPDATE,
            event=ev.model_copy(
                update={"recurrence": rule.model_copy(update={"start_date": later})}
            ),
            target_id=made.target_id,
            mapping_id=cmd.mapping_id,
            base_version=made.new_version,
            fields=["recurrence"],
        )
        await h.send(update)
        assert (await h.result_of(update)).outcome == CommandOutcome.OK
        [master] = h.mailbox()
        assert master["recurrence"]["range"]["startDate"] == later.isoformat()
        assert master["start"]["dateTime"].startswith(later.isoformat())


async def test_old_cancelled_dates_are_carried_over_from_the_last_snapshot() -> None:
    from kakehashi.contracts.state import Mapping, SideRecord

    async with harness() as h:
        first = next_monday() - timedelta(days=7 * 60)  # started over a year ago, no end
        weekly = {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "noEnd", "startDate": first.isoformat()},
        }
        master = h.sim.person_create(SATO, graph_body("Forever", first, recurrence=weekly))
        old_gap = first + timedelta(days=7)  # before the one-year read range
        rule = Recurrence(
            frequency=Frequency.WEEKLY,
            weekdays=(Weekday.MO,),
            start_date=first,
            excluded=(old_gap,),
        )
        await h.store.mappings.insert(
            Mapping(
                tenant_id="t1",
                user_link_id=h.sato.id,
                graph_ical_uid=master["iCalUId"],
                graph=SideRecord(
                    id=master["id"], snapshot=normalized("Forever", first, recurrence=rule)
                ),
            )
        )
        hint = h.hint(master["id"])
        await h.send(hint)
        [obs] = await h.observations_of(hint)
        assert obs.event is not None
        assert obs.event.recurrence is not None
        assert obs.event.recurrence.excluded == (old_gap,)


async def _series_with_child(h: Any, day_offset: int) -> tuple[dict[str, Any], Any, Any]:
    """A weekly series in Sato's Outlook, its series mapping, and a child mapping for the
    occurrence `day_offset` days after the first (edited on its own in Garoon)."""
    from kakehashi.contracts.state import Mapping, MappingState, SideRecord

    first = next_monday()
    weekly = {
        "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
        "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": 5},
    }
    master = h.sim.person_create(SATO, graph_body("Weekly", first, recurrence=weekly))
    parent = Mapping(
        tenant_id="t1",
        user_link_id=h.sato.id,
        state=MappingState.ACTIVE,
        garoon_id="g-series",
        graph_ical_uid=master["iCalUId"],
        garoon=SideRecord(id="g-series"),
        graph=SideRecord(id=master["id"]),
    )
    day = first + timedelta(days=day_offset)
    moved = normalized("Weekly (moved in Garoon)", day, 15).model_copy(
        update={"original_start": tokyo(day, 10), "location": "Room 7"}
    )
    child = Mapping(
        tenant_id="t1",
        user_link_id=h.sato.id,
        state=MappingState.PENDING_CREATE,
        garoon_id="g-split",
        garoon=SideRecord(id="g-split"),
        base=moved,
        series_mapping_id=parent.id,
        occurrence_date=day,
    )
    await h.store.mappings.insert(parent)
    await h.store.mappings.insert(child)
    return master, child, moved


async def test_child_create_patches_the_occurrence_into_an_exception() -> None:
    async with harness() as h:
        master, child, moved = await _series_with_child(h, 7)
        occ = _occurrences(h, master["id"])
        cmd = h.command(CommandOp.CREATE, event=moved, mapping_id=child.id)
        await h.send(cmd)
        made = await h.result_of(cmd)
        assert made.outcome == CommandOutcome.OK
        assert made.target_id == occ[1]  # the second occurrence, now an exception
        assert made.ical_uid is not None
        assert made.event is not None
        assert made.event.title == "Weekly (moved in Garoon)"
        assert made.event.start == moved.start
        assert made.event.location == "Room 7"
        # Still one series with five dates, no extra single event.
        assert len(h.mailbox()) == 1
        assert len(_occurrences(h, master["id"])) == 5
        # Run again (a redelivered command under a new id): the same exception, unchanged.
        again = h.command(CommandOp.CREATE, event=moved, mapping_id=child.id)
        await h.send(again)
        second = await h.result_of(again)
        assert (second.outcome, second.target_id) == (CommandOutcome.OK, made.target_id)
        assert len(h.mailbox()) == 1
        # The series now shows that date as an exception (overridden), not cancelled.
        hint = h.hint(master["id"])
        await h.send(hint)
        seen = await h.observations_of(hint, count=2)
        [series] = [o for o in seen if o.source_id == master["id"]]
        assert series.event is not None
        assert series.event.recurrence is not None
        assert series.event.recurrence.overridden == (child.occurrence_date,)
        # Deleting the child's Outlook copy = DELETE of that occurrence id: the date is
        # cancelled, the rest of the series stays.
        gone = h.command(
            CommandOp.DELETE,
            event=moved,
            target_id=made.target_id,
            mapping_id=child.id,
            base_version=second.new_version,
        )
        await h.send(gone)
        deleted = await h.result_of(gone)
        assert deleted.outcome == CommandOutcome.OK
        assert len(_occurrences(h, master["id"])) == 4
        assert len(h.mailbox()) == 1


async def test_child_create_of_a_cancelled_occurrence_makes_a_normal_event() -> None:
    async with harness() as h:
        master, child, moved = await _series_with_child(h, 14)
        h.sim.person_delete(SATO, _occurrences(h, master["id"])[2])
        cmd = h.command(CommandOp.CREATE, event=moved, mapping_id=child.id)
        await h.send(cmd)
        made = await h.result_of(cmd)
        assert made.outcome == CommandOutcome.OK
        assert made.target_id is not None
        assert made.target_id not in _occurrences(h, master["id"])
        assert len(h.mailbox()) == 2  # the series and a single event
        assert made.event is not None
        assert made.event.title == "Weekly (moved in Garoon)"
