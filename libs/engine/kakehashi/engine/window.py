"""The sync window: today onward (or from a backfill date); repeats up to N days ahead;
only events created or edited after the user was linked. Mapped events are judged by their
record, never by the window alone (complaint 2: no window-edge deletes or duplicates)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from kakehashi.contracts.envelope import Message, deterministic_id
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import Mapping, MappingState, SideRecord
from kakehashi.engine import recurrence, timezones
from kakehashi.engine.decision import (
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    command,
    pending,
    with_record,
)
from kakehashi.engine.merge import changed_groups, fields_of
from kakehashi.engine.translate import garoon_rest
from kakehashi.engine.translate.project import project

# Garoon stamps edits to the second and neither server's clock is ours: an event saved in the
# moment around linking counts as after it, rather than being silently left out.
LINK_CLOCK_GRACE = timedelta(minutes=2)


def _series_last(ev: NormalizedEvent, ctx: DecisionContext) -> datetime | None:
    rule = ev.recurrence
    assert rule is not None
    if rule.until is None and rule.count is None:
        return None
    last = recurrence.last_date(rule, ctx.repeat_horizon.date() + timedelta(days=366 * 30))
    return timezones.local_midnight(last + timedelta(days=1), ev.timezone) if last else None


def admits(ev: NormalizedEvent, modified_at: datetime | None, ctx: DecisionContext) -> str:
    """'' when a new event is in scope, else why not."""
    if ev.start is None or ev.end is None:
        return "no start/end"
    if ev.recurrence:
        last = _series_last(ev, ctx)
        if last is not None and last <= ctx.window_start:
            return "series ended before the window"
        first = timezones.local_midnight(ev.recurrence.start_date, ev.timezone)
        if first >= ctx.repeat_horizon:
            return f"series starts beyond {ctx.policy.repeat_window_days} days"
    elif ev.end <= ctx.window_start:
        return "ended before the window start"
    backfilled = ctx.policy.backfill_from and ev.start.date() >= ctx.policy.backfill_from
    linked_at = ctx.linked_at
    if modified_at and linked_at and modified_at < linked_at - LINK_CLOCK_GRACE and not backfilled:
        return "created or edited before the user was linked"
    return ""


def left_window(base: NormalizedEvent, ctx: DecisionContext, *seen: NormalizedEvent | None) -> bool:
    """True when a vanished copy may be explained by the event being outside what a side lists:
    the window moved past it, or it was moved past the horizon or before the window start.

    `base` and every other known state of the event (the deleted observation's last content,
    the per-side snapshots) are asked: if any of them lies outside the window, the "delete"
    may be a listing edge, and an edge never deletes the other copy (when in doubt, keep)."""
    return any(_outside(ev, ctx) for ev in (base, *seen) if ev is not None)


def _outside(ev: NormalizedEvent, ctx: DecisionContext) -> bool:
    if ev.start is None or ev.end is None:
        return False
    if ev.recurrence:
        last = _series_last(ev, ctx)
        if last is not None and last <= ctx.window_start:
            return True
        return timezones.local_midnight(ev.recurrence.start_date, ev.timezone) >= (
            ctx.repeat_horizon
        )
    return ev.end <= ctx.window_start or ev.start >= ctx.repeat_horizon


def needs_explode(ev: NormalizedEvent) -> bool:
    return ev.recurrence is not None and recurrence.garoon_repeat_type(ev.recurrence) is None


def explode_create(mapping: Mapping, observed: ObservedEvent, ctx: DecisionContext) -> Decision:
    """A Graph series Garoon cannot express: one Garoon event per occurrence in the window,
    each its own mapping linked to the series (never dropped silently)."""
    assert mapping.base is not None
    start = max(ctx.window_start, ctx.now - timedelta(days=1))
    occurrences = garoon_rest.explode(mapping.base, start, ctx.repeat_horizon)
    parent = mapping.model_copy(update={"state": MappingState.ACTIVE, "last_rule": "explode"})
    children, actions = (
        [],
        [
            Action(
                ActionKind.RECORD,
                "explode-series",
                f"Garoon cannot express the rule; {len(occurrences)} occurrences inside the window",
                Side.GAROON,
            )
        ],
    )
    for occ in occurrences:
        assert occ.original_start is not None
        day = timezones.local_date(occ.original_start, occ.timezone)
        cid = deterministic_id(mapping.id, day.isoformat())
        child = Mapping(
            id=cid,
            tenant_id=ctx.tenant_id,
            user_link_id=mapping.user_link_id,
            state=MappingState.PENDING_CREATE,
            revision=1,
            base=occ,
            idempotency_key=cid,
            series_mapping_id=mapping.id,
            occurrence_date=day,
            updated_at=ctx.now,
            graph_ical_uid=None,
            graph=SideRecord(snapshot=occ),
            last_rule="explode",
        )
        cmd = command(
            ctx,
            observed,
            child,
            Side.GAROON,
            CommandOp.CREATE,
            event=occ,
            reason=f"occurrence {day} of an unexpressible series",
        )
        children.append(with_record(child, Side.GAROON, pending(SideRecord(), cmd, ctx.now)))
        actions.append(
            Action(ActionKind.CREATE, "explode-occurrence", day.isoformat(), Side.GAROON, cmd)
        )
    return Decision(parent, tuple(actions), tuple(children))


def reexplode(
    parent: Mapping, children: Sequence[Mapping], trigger: Message, ctx: DecisionContext
) -> Decision:
    """Bring the Garoon occurrences of an exploded series up to its base (after an edit of
    the Graph series, or when the window rolls): create new ones, update changed ones, delete
    the ones the series no longer has. The translator passes the children it stored."""
    assert parent.base is not None
    start = max(ctx.window_start, ctx.now - timedelta(days=1))
    wanted = {
        timezones.local_date(o.original_start, o.timezone): o  # type: ignore[arg-type]
        for o in garoon_rest.explode(parent.base, start, ctx.repeat_horizon)
    }
    have = {c.occurrence_date: c for c in children if c.state != MappingState.TOMBSTONED}
    out: list[Mapping] = []
    actions: list[Action] = []
    for day, occ in sorted(wanted.items()):
        child = have.get(day)
        if child is None:
            cid = deterministic_id(parent.id, day.isoformat())
            child = Mapping(
                id=cid,
                tenant_id=ctx.tenant_id,
                user_link_id=parent.user_link_id,
                state=MappingState.PENDING_CREATE,
                revision=1,
                base=occ,
                idempotency_key=cid,
                series_mapping_id=parent.id,
                occurrence_date=day,
                updated_at=ctx.now,
                graph=SideRecord(snapshot=occ),
                last_rule="explode",
            )
            cmd = command(
                ctx,
                trigger,
                child,
                Side.GAROON,
                CommandOp.CREATE,
                event=occ,
                reason=f"occurrence {day} entered the window",
            )
            out.append(with_record(child, Side.GAROON, pending(SideRecord(), cmd, ctx.now)))
            actions.append(
                Action(ActionKind.CREATE, "explode-occurrence", str(day), Side.GAROON, cmd)
            )
            continue
        rec = child.garoon
        diff = changed_groups(
            rec.snapshot or occ, project(occ, Side.GAROON, ctx.translation, held=rec.snapshot)
        )
        if not diff or rec.id is None or rec.pending_command_id:
            continue
        new = child.model_copy(
            update={"base": occ, "revision": child.revision + 1, "updated_at": ctx.now}
        )
        cmd = command(
            ctx,
            trigger,
            new,
            Side.GAROON,
            CommandOp.UPDATE,
            event=occ,
            reason="the series changed",
            fields=fields_of(diff),
        )
        out.append(with_record(new, Side.GAROON, pending(rec, cmd, ctx.now)))
        actions.append(Action(ActionKind.UPDATE, "explode-occurrence", str(day), Side.GAROON, cmd))
    for gone_day, child in sorted(have.items(), key=lambda kv: str(kv[0])):
        if gone_day in wanted or child.garoon.id is None:
            continue
        new = child.model_copy(
            update={
                "state": MappingState.TOMBSTONED,
                "tombstoned_at": ctx.now,
                "revision": child.revision + 1,
                "updated_at": ctx.now,
            }
        )
        cmd = command(
            ctx,
            trigger,
            new,
            Side.GAROON,
            CommandOp.DELETE,
            event=child.base,
            reason="the series no longer has this occurrence",
        )
        out.append(with_record(new, Side.GAROON, pending(child.garoon, cmd, ctx.now)))
        actions.append(
            Action(ActionKind.DELETE, "explode-occurrence", str(gone_day), Side.GAROON, cmd)
        )
    if not actions:
        actions.append(Action(ActionKind.IGNORE, "explode-unchanged", "occurrences up to date"))
    return Decision(None, tuple(actions), tuple(out))
