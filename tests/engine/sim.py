"""A two-calendar simulation: fake connectors applying commands, producing results and echo
observations, plus the translator loop (find mapping, decide, store, publish)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kakehashi.contracts.event import NormalizedEvent, Response
from kakehashi.contracts.messages import (
    CommandOp,
    CommandOutcome,
    CommandResult,
    ObservedEvent,
    Side,
    SyncCommand,
)
from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.engine import timezones
from kakehashi.engine.decide import decide
from kakehashi.engine.decision import Decision, DecisionContext
from kakehashi.engine.explain import find_mapping, find_series_mapping
from kakehashi.engine.guard import Listing, guard_deletes
from kakehashi.engine.merge import GROUPS, take
from kakehashi.engine.results import apply_result
from kakehashi.engine.translate.project import project
from tests.engine.strategies import CTX

TENANT = "t1"
GAROON_CAP_DAYS = 365  # garoon_sim Settings.repeat_default_days
LINK = "link-1"


def held(ev: NormalizedEvent, side: Side, keep: NormalizedEvent | None = None) -> NormalizedEvent:
    """What `side` stores: the projection (attendee responses as `keep` has them: nobody
    writes another person's response); Garoon keeps split-off dates as exclusions only."""
    out = project(ev, side, CTX, held=keep)
    # Independently of the engine's projection: responses are the attendees' own.
    known = {p.key: p.response for p in keep.attendees} if keep is not None else {}
    people = tuple(
        p.model_copy(update={"response": known.get(p.key, Response.NONE)}) for p in out.attendees
    )
    out = out.model_copy(update={"attendees": people})
    r = out.recurrence
    if side == Side.GAROON and r is not None and r.until is None and r.count is None:
        # Garoon has no open-ended series: the simulator caps one at `repeat_default_days`.
        r = r.model_copy(update={"until": r.start_date + timedelta(days=GAROON_CAP_DAYS)})
        out = out.model_copy(update={"recurrence": r})
    if side == Side.GAROON and r is not None and r.overridden:
        rule = r.model_copy(
            update={"excluded": tuple(sorted({*r.excluded, *r.overridden})), "overridden": ()}
        )
        out = out.model_copy(update={"recurrence": rule})
    return out


@dataclass
class Copy:
    event: NormalizedEvent
    version: int
    modified: datetime
    tag: str | None = None
    series_id: str | None = None  # an occurrence edited on its own: its series' id


@dataclass
class Calendar:
    side: Side
    events: dict[str, Copy] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    writes: int = 0
    # Copies written where we cannot read them back (a private event the account may not see).
    hidden: dict[str, Copy] = field(default_factory=dict)
    blind: bool = False


@dataclass
class Clock:
    now: datetime = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class World:
    def __init__(self) -> None:
        self.clock = Clock()
        self.ctx = DecisionContext(
            tenant_id=TENANT,
            clock=self.clock,
            translation=CTX,
            linked_at=self.clock.now - timedelta(days=1),
        )
        self.cal = {Side.GAROON: Calendar(Side.GAROON), Side.GRAPH: Calendar(Side.GRAPH)}
        self.mappings: dict[str, Mapping] = {}
        self.observations: list[tuple[ObservedEvent, bool]] = []  # (message, is_echo)
        self.commands: list[SyncCommand] = []
        self.results: list[CommandResult] = []
        self.delivered: list[object] = []
        self.ids = itertools.count(1)
        self.echo_writes: list[str] = []
        self.owner: dict[str, str] = {}  # copy id -> mapping id (lineage survives recreates)
        self.minted: set[str] = set()  # ids of every new (not re-sent) command

    # ------------------------------------------------------------ the sides
    def observe(self, side: Side, eid: str, echo: bool = False) -> ObservedEvent:
        copy = self.cal[side].events.get(eid)
        obs = ObservedEvent(
            tenant_id=TENANT,
            occurred_at=self.clock.now,
            side=side,
            user_link_id=LINK,
            source_id=eid,
            ical_uid=f"ical-{eid}" if side == Side.GRAPH else None,
            version=str(copy.version) if copy else None,
            modified_at=copy.modified.isoformat() if copy else None,
            deleted=copy is None,
            event=copy.event if copy else None,
            kakehashi_tag=copy.tag if copy else None,
            series_id=copy.series_id if copy else None,
        )
        self.observations.append((obs, echo))
        return obs

    def user_write(self, side: Side, eid: str | None, event: NormalizedEvent | None) -> str:
        cal = self.cal[side]
        now = self.clock.tick()
        if eid is None:
            eid = f"{side.value[:2]}{next(self.ids)}"
            cal.events[eid] = Copy(held(event, side, event), 1, now)  # type: ignore[arg-type]
        elif event is None:
            gone = cal.events.pop(eid, None)
            self._cancel(side, gone, now)
        else:
            old = cal.events[eid]
            cal.events[eid] = Copy(
                held(event, side, event), old.version + 1, now, old.tag, old.series_id
            )
        self.observe(side, eid)
        return eid

    def user_split(self, side: Side, series_eid: str, day: date, **change: object) -> str:
        """A user edits one occurrence on its own. Garoon: SOAP modify `this` (a new normal
        event, the series gains an exclusion; the hint observes the new event, then the sweep
        the series). Graph: PATCH of the occurrence (an exception; the connector observes the
        master, then the exception)."""
        cal = self.cal[side]
        now = self.clock.tick()
        master = cal.events[series_eid]
        ev = master.event
        assert ev.recurrence is not None
        assert ev.start is not None
        assert ev.end is not None
        tz = timezones.zone(ev.timezone)
        slot = datetime.combine(day, ev.start.astimezone(tz).timetz())
        occ = ev.model_copy(
            update={
                "recurrence": None,
                "start": slot,
                "end": slot + (ev.end - ev.start),
                "original_start": slot,
                **change,
            }
        )
        r = ev.recurrence
        if side == Side.GAROON:
            rule = r.model_copy(update={"excluded": tuple(sorted({*r.excluded, day}))})
        else:
            rule = r.model_copy(update={"overridden": tuple(sorted({*r.overridden, day}))})
        master.event = ev.model_copy(update={"recurrence": rule})
        master.version += 1
        master.modified = now
        eid = f"{side.value[:2]}{next(self.ids)}"
        cal.events[eid] = Copy(held(occ, side, occ), 1, now, None, series_eid)
        if side == Side.GAROON:
            self.observe(side, eid)
            self.observe(side, series_eid)
        else:
            self.observe(side, series_eid)
            self.observe(side, eid)
        return eid

    def _stamp(self, ev: NormalizedEvent, side: Side, copy: Copy) -> NormalizedEvent:
        return ev.model_copy(
            update={"versions": ev.versions.model_copy(update={"modified_at": copy.modified})}
        )

    def connector(self, cmd: SyncCommand) -> None:
        cal = self.cal[cmd.side]
        if cmd.message_id in cal.processed:
            return  # consumers are idempotent by message id
        cal.processed.add(cmd.message_id)
        now = self.clock.tick()
        outcome, target, ev = CommandOutcome.OK, cmd.target_id, None
        current = cal.events.get(cmd.target_id or "")
        if cmd.op == CommandOp.CREATE:
            found = [k for k, c in cal.events.items() if c.tag == cmd.idempotency_key]
            if found:
                target = found[0]
            else:
                target = f"{cmd.side.value[:2]}{next(self.ids)}"
                assert cmd.event is not None
                series_id = self._split(cmd, now)
                made = Copy(held(cmd.event, cmd.side), 1, now, cmd.idempotency_key, series_id)
                cal.writes += 1
                if cal.blind:
                    cal.hidden[target] = made
                    outcome = CommandOutcome.NOT_FOUND
                else:
                    cal.events[target] = made
        elif current is None:
            outcome = CommandOutcome.NOT_FOUND
        elif cmd.base_version is not None and str(current.version) != cmd.base_version:
            outcome = CommandOutcome.FAILED  # conditional write refused; say what we hold
        elif cmd.op == CommandOp.DELETE:
            self._cancel(cmd.side, cal.events.pop(target), now, echo=True)  # type: ignore[arg-type]
            cal.writes += 1
        elif cmd.op == CommandOp.RESPOND:
            # The attendees' own copies answer; the organizer's copy shows it (a new version).
            answers = {p.email: p.response for p in cmd.responses}
            people = tuple(
                p.model_copy(update={"response": answers.get(p.email, p.response)})
                for p in current.event.attendees
            )
            new = current.event.model_copy(update={"attendees": people})
            cal.events[target] = Copy(new, current.version + 1, now, current.tag, current.series_id)  # type: ignore[index]
            cal.writes += 1
        else:
            assert cmd.event is not None
            groups = {g for g, fs in GROUPS.items() if set(fs) & set(cmd.fields)}
            written = project(cmd.event, cmd.side, CTX, held=current.event)
            new = held(take(current.event, written, groups), cmd.side, current.event)
            old_rule, new_rule = current.event.recurrence, new.recurrence
            if old_rule is not None and new_rule is not None:
                # Like the connectors: occurrences are only ever removed (SOAP remove `this`,
                # Graph cancel), and exceptions are kept (only the child's create makes one).
                gone = {*old_rule.excluded, *new_rule.excluded}
                kept = tuple(d for d in old_rule.overridden if d not in gone)
                new_rule = new_rule.model_copy(
                    update={"excluded": tuple(sorted(gone)), "overridden": kept}
                )
                new = new.model_copy(update={"recurrence": new_rule})
            cal.events[target] = Copy(new, current.version + 1, now, current.tag, current.series_id)  # type: ignore[index]
            cal.writes += 1
        copy = cal.events.get(target or "")
        if copy is not None:
            ev = self._stamp(copy.event, cmd.side, copy)
        self.results.append(
            CommandResult(
                tenant_id=TENANT,
                occurred_at=now,
                side=cmd.side,
                op=cmd.op,
                user_link_id=LINK,
                mapping_id=cmd.mapping_id,
                command_id=cmd.message_id,
                outcome=outcome,
                target_id=target,
                ical_uid=f"ical-{target}" if cmd.side == Side.GRAPH else None,
                new_version=str(copy.version) if copy else None,
                event=ev,
                error="conflict: version changed" if outcome == CommandOutcome.FAILED else None,
            )
        )
        if outcome == CommandOutcome.OK and target:
            self.observe(cmd.side, target, echo=True)

    def _cancel(self, side: Side, gone: Copy | None, now: datetime, echo: bool = False) -> None:
        """Graph: deleting an exception cancels that occurrence of the master."""
        if side != Side.GRAPH or gone is None or gone.series_id is None:
            return
        master = self.cal[side].events.get(gone.series_id)
        original = gone.event.original_start
        if master is None or master.event.recurrence is None or original is None:
            return
        day = timezones.local_date(original, master.event.timezone)
        r = master.event.recurrence
        rule = r.model_copy(
            update={
                "excluded": tuple(sorted({*r.excluded, day})),
                "overridden": tuple(d for d in r.overridden if d != day),
            }
        )
        master.event = master.event.model_copy(update={"recurrence": rule})
        master.version += 1
        master.modified = now
        self.observe(side, gone.series_id, echo=echo)

    def _split(self, cmd: SyncCommand, now: datetime) -> str | None:
        """A create for a child mapping: split the occurrence off the parent's copy (Garoon
        modify `this` -> exclusion; Graph PATCH of the occurrence -> exception)."""
        child = self.mappings.get(cmd.mapping_id)
        ev = cmd.event
        if child is None or not child.series_mapping_id or ev is None or ev.recurrence:
            return None
        parent = self.mappings[child.series_mapping_id]
        pid = (parent.garoon if cmd.side == Side.GAROON else parent.graph).id
        copy = self.cal[cmd.side].events.get(pid or "")
        day = child.occurrence_date
        if copy is None or copy.event.recurrence is None or day is None:
            return None
        r = copy.event.recurrence
        if day in r.excluded:
            # Gone from the series already (Garoon: split or removed; Graph: cancelled): the
            # connector can only write the occurrence as an event of its own.
            return None
        if cmd.side == Side.GAROON:
            rule = r.model_copy(update={"excluded": tuple(sorted({*r.excluded, day}))})
        else:
            rule = r.model_copy(update={"overridden": tuple(sorted({*r.overridden, day}))})
        # Only an echo if the series held nothing we had not seen (a lost edit is news).
        known = (parent.garoon if cmd.side == Side.GAROON else parent.graph).version
        echo = known == str(copy.version)
        copy.event = copy.event.model_copy(update={"recurrence": rule})
        copy.version += 1
        copy.modified = now
        self.observe(cmd.side, pid or "", echo=echo)
        return pid

    # ------------------------------------------------------------ the translator
    def _store(self, decision: Decision) -> None:
        for m in (decision.mapping, *decision.children, decision.series):
            if m is not None:
                old = self.mappings.get(m.id)
                # The store's compare-and-set stores expected+1: one step per decision.
                assert old is None or m.revision == old.revision + 1, (
                    f"{m.id}: revision {old.revision} -> {m.revision} (one step per decision)"
                )
                self.mappings[m.id] = m
                for rid in (m.garoon.id, m.graph.id):
                    if rid:
                        self.owner[rid] = m.id
        for action in decision.actions:
            cmd = action.command
            if cmd is None or action.rule == "reissue":
                continue  # a re-send keeps its first id on purpose
            # A new write under an id already used would be dropped by the connector as a
            # duplicate: a lost write.
            assert cmd.message_id not in self.minted, f"command id reused: {action.rule} {cmd}"
            self.minted.add(cmd.message_id)
        self.commands.extend(decision.commands)

    def deliver_observation(self, obs: ObservedEvent, echo: bool) -> None:
        mapping = find_mapping(self.mappings.values(), obs, TENANT)
        series = None if mapping else find_series_mapping(self.mappings.values(), obs, TENANT)
        decision = decide(mapping, obs, self.ctx, series)
        if echo:
            # Re-publishing a write still in flight (same message id) is not a new write.
            self.echo_writes += [
                a.rule for a in decision.actions if a.command is not None and a.rule != "reissue"
            ]
        self._store(decision)

    def deliver_result(self, result: CommandResult) -> None:
        mapping = self.mappings.get(result.mapping_id)
        if mapping is not None:
            # The translator's store lookup: is there a tombstone for the created copy?
            deleted = any(
                m.id != mapping.id
                and m.state == MappingState.TOMBSTONED
                and (m.garoon if result.side == Side.GAROON else m.graph).id == result.target_id
                for m in self.mappings.values()
            )
            self._store(apply_result(mapping, result, self.ctx, copy_deleted=deleted))

    def step(self, kind: str, index: int, keep: bool = False) -> bool:
        queues: dict[str, list[Any]] = {
            "obs": self.observations,
            "cmd": self.commands,
            "res": self.results,
        }
        queue = queues[kind]
        if not queue:
            return False
        item = queue[index % len(queue)] if keep else queue.pop(index % len(queue))
        self.clock.tick()
        if kind == "obs":
            self.deliver_observation(*item)
        elif kind == "cmd":
            self.connector(item)
        else:
            self.deliver_result(item)
        return True

    def drain(self) -> None:
        for _ in range(10_000):
            if not (self.step("obs", 0) or self.step("cmd", 0) or self.step("res", 0)):
                return
        raise AssertionError("no quiet point: the system keeps writing (ping-pong?)")

    def sweep(self) -> None:
        for side, cal in self.cal.items():
            for eid in list(cal.events):
                self.observe(side, eid)
            listing = Listing(side=side, ids=frozenset(cal.events))
            mine = [m for m in self.mappings.values() if m.state == MappingState.ACTIVE]
            verdict = guard_deletes(mine, listing, self.ctx.policy)
            if verdict.allowed:
                for mid in verdict.deletes:
                    rid = (
                        self.mappings[mid].garoon
                        if side == Side.GAROON
                        else self.mappings[mid].graph
                    ).id
                    self.observe(side, rid or "")

    def settle(self) -> None:
        self.drain()
        for _ in range(4):
            self.sweep()
            self.drain()
