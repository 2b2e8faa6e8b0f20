"""Two fake calendars standing in for the connectors: they apply commands the way the
connectors promise to (create found again by its idempotency key, conditional writes on the
base version, Teams meeting with join URL), answer with results, and observe their own
writes (the echoes the translator must recognise)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from kakehashi.contracts.event import NormalizedEvent, Person
from kakehashi.contracts.messages import (
    CommandOp,
    CommandOutcome,
    CommandResult,
    ObservedEvent,
    ObservedGaroon,
    ObservedGraph,
    Side,
    SyncCommand,
)
from kakehashi.engine.merge import GROUPS, take
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.engine.translate.project import project

TENANT = "tenant-1"
LINK = "link-1"
TR = TranslationContext(users={"sato": "sato@contoso.example"})
JOIN = "https://teams.microsoft.com/l/meetup-join/abc"


@dataclass
class Copy:
    event: NormalizedEvent
    version: int
    modified: datetime
    tag: str | None = None


@dataclass
class Calendar:
    side: Side
    events: dict[str, Copy] = field(default_factory=dict)
    processed: set[str] = field(default_factory=set)
    writes: list[SyncCommand] = field(default_factory=list)


class Sides:
    def __init__(self, start: datetime | None = None) -> None:
        self.cal = {s: Calendar(s) for s in Side}
        self._ids = itertools.count(1)
        self._now = start or datetime.now(UTC)

    def tick(self) -> datetime:
        # Each write is a second later than the last: modification times never tie.
        self._now += timedelta(seconds=1)
        return self._now

    # ------------------------------------------------------------------ users
    def user_write(self, side: Side, eid: str | None, event: NormalizedEvent | None) -> str:
        cal, now = self.cal[side], self.tick()
        if eid is None:
            eid = f"{side.value[:2]}{next(self._ids)}"
            cal.events[eid] = Copy(project(event, side, TR), 1, now)  # type: ignore[arg-type]
        elif event is None:
            cal.events.pop(eid)
        else:
            old = cal.events[eid]
            cal.events[eid] = Copy(project(event, side, TR), old.version + 1, now, old.tag)
        return eid

    def edit(self, side: Side, eid: str, **changes: object) -> None:
        self.user_write(side, eid, self.cal[side].events[eid].event.model_copy(update=changes))

    def observe(self, side: Side, eid: str, *, deleted: bool = False) -> ObservedEvent:
        copy = None if deleted else self.cal[side].events.get(eid)
        cls = ObservedGaroon if side == Side.GAROON else ObservedGraph
        return cls(
            tenant_id=TENANT,
            side=side,
            user_link_id=LINK,
            source_id=eid,
            ical_uid=f"ical-{eid}" if side == Side.GRAPH else None,
            version=str(copy.version) if copy else None,
            modified_at=copy.modified.isoformat() if copy else None,
            deleted=copy is None,
            event=self._stamped(copy) if copy else None,
            kakehashi_tag=copy.tag if copy else None,
        )

    @staticmethod
    def _stamped(copy: Copy) -> NormalizedEvent:
        versions = copy.event.versions.model_copy(update={"modified_at": copy.modified})
        return copy.event.model_copy(update={"versions": versions})

    # ------------------------------------------------------------------ connectors
    def apply(self, cmd: SyncCommand) -> tuple[CommandResult, ObservedEvent | None] | None:
        """One command; None when its message id was already processed (dedupe)."""
        cal = self.cal[cmd.side]
        if cmd.message_id in cal.processed:
            return None
        cal.processed.add(cmd.message_id)
        now = self.tick()
        outcome, target, join_url = CommandOutcome.OK, cmd.target_id or "", None
        current = cal.events.get(target)
        if cmd.op == CommandOp.CREATE:
            found = [k for k, c in cal.events.items() if c.tag == cmd.idempotency_key]
            if found:
                target = found[0]
            else:
                assert cmd.event is not None
                target = f"{cmd.side.value[:2]}{next(self._ids)}"
                made = Copy(project(cmd.event, cmd.side, TR), 1, now, cmd.idempotency_key)
                cal.events[target] = made
                cal.writes.append(cmd)
        elif current is None:
            outcome = CommandOutcome.NOT_FOUND
        elif cmd.op == CommandOp.TEAMS_MEETING:
            guests = tuple(Person(email=i, name=i) for i in cmd.invitees)
            ev = current.event.model_copy(
                update={"join_url": JOIN, "attendees": (*current.event.attendees, *guests)}
            )
            cal.events[target] = Copy(
                project(ev, cmd.side, TR), current.version + 1, now, current.tag
            )
            cal.writes.append(cmd)
            join_url = JOIN
        elif cmd.base_version is not None and str(current.version) != cmd.base_version:
            outcome = CommandOutcome.FAILED  # conditional write refused; say what we hold
        elif cmd.op == CommandOp.DELETE:
            del cal.events[target]
            cal.writes.append(cmd)
        else:
            assert cmd.event is not None
            groups = {g for g, fs in GROUPS.items() if set(fs) & set(cmd.fields)}
            new = take(current.event, project(cmd.event, cmd.side, TR), groups)
            cal.events[target] = Copy(new, current.version + 1, now, current.tag)
            cal.writes.append(cmd)
        copy = cal.events.get(target)
        result = CommandResult(
            tenant_id=TENANT,
            side=cmd.side,
            op=cmd.op,
            user_link_id=LINK,
            mapping_id=cmd.mapping_id,
            command_id=cmd.message_id,
            outcome=outcome,
            target_id=target or None,
            ical_uid=f"ical-{target}" if cmd.side == Side.GRAPH and target else None,
            new_version=str(copy.version) if copy else None,
            event=self._stamped(copy) if copy else None,
            join_url=join_url,
            error="version changed" if outcome == CommandOutcome.FAILED else None,
        )
        echo = None
        if outcome == CommandOutcome.OK and target:
            echo = self.observe(cmd.side, target, deleted=copy is None)
        return result, echo
