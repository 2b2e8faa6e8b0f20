"""Single occurrences edited on their own, both ways (product §2.1 "Edit only one occurrence").

Shapes (see also the connector READMEs):

- Graph -> engine: the master is observed with `recurrence.overridden` holding the edited
  dates, and each edited occurrence (`type: exception`) on its own: `series_id` = the master's
  Graph id, `event.original_start` = the slot it replaced, its own id and iCalUId.
- Garoon -> engine: an occurrence split off with SOAP `ScheduleModifyRepeatEvents type=this`
  is a new normal event; the series gains an exclusive date. The connector observes the new
  event with `series_id` = the series' Garoon id (read.py `split_origin`); Garoon keeps no
  original start, so the occurrence date is the event's local start date (the date
  `split_origin` matched against the series' exclusions).
- Either way the occurrence becomes a child mapping (`series_mapping_id` = the series mapping,
  `occurrence_date` = its original local date in the series' zone) whose base carries
  `original_start`, and the engine sends a CREATE to the other side for the child:
  Garoon: SOAP modify `this` on the parent's Garoon series at `occurrence_date` (new id);
  Graph: PATCH the occurrence of the parent's master whose original date is
  `occurrence_date` (it becomes an exception; its id is the child's Graph id). Both
  connectors find the parent through the mapping store (`series_mapping_id`), as the Garoon
  connector does. Later edits and deletes of either copy flow through the child mapping like
  any single event.
- The series mapping gains the date in `recurrence.overridden` (Decision.series: the parent,
  compare-and-set on its previous revision). Garoon cannot tell a split-off date from a deleted
  one (both are exclusions), so every series observation is read through `align_series`:
  overridden dates the base knows are split-offs, never deletes, and never a reason to write
  the series (the child's create does the split).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from kakehashi.contracts.event import NormalizedEvent, Recurrence
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import Mapping, MappingState, SideRecord
from kakehashi.engine import timezones
from kakehashi.engine.decision import (
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    command,
    first_mapping,
    other,
    pending,
    record_of,
    with_record,
)
from kakehashi.engine.hashing import content_hash

# How far Garoon extends a series saved without an end (simulator `repeat_default_days`; the
# real product's cap is unverified, so anything past the sync horizon counts as well).
GAROON_OPEN_END_DAYS = 365


def _rule(rule: Recurrence, excluded: set[date], overridden: set[date]) -> Recurrence:
    return rule.model_copy(
        update={"excluded": tuple(sorted(excluded)), "overridden": tuple(sorted(overridden))}
    )


def align_series(
    ev: NormalizedEvent | None,
    base: NormalizedEvent | None,
    side: Side,
    horizon: date | None = None,
) -> NormalizedEvent | None:
    """A series as `side` shows it, read against the base (what it can and cannot store).

    Garoon shows a split-off date as an exclusion (and may not show it yet while the split is
    in flight): the base's overridden dates are overridden, whatever Garoon shows. Graph shows
    exceptions as such, but only once our PATCH of the occurrence landed: a base overridden
    date that Graph neither cancelled nor overrode yet is still on its way.

    Garoon has no open-ended series: it caps one without an end (the simulator at
    `repeat_default_days` = 365 after the start). When the base has no end, an end at or past
    that cap, or past the sync horizon, is the cap and reads as "no end"."""
    if ev is None or ev.recurrence is None or base is None or base.recurrence is None:
        return ev
    split = set(base.recurrence.overridden)
    r = ev.recurrence
    if side == Side.GAROON:
        rule = _rule(r, set(r.excluded) - split, split | set(r.overridden))
        b = base.recurrence
        if b.until is None and b.count is None and r.until is not None and r.count is None:
            cap = r.start_date + timedelta(days=GAROON_OPEN_END_DAYS)
            if r.until >= cap or (horizon is not None and r.until >= horizon):
                rule = rule.model_copy(update={"until": None})
    else:
        rule = _rule(r, set(r.excluded), set(r.overridden) | (split - set(r.excluded)))
    if rule == r:
        return ev
    return ev.model_copy(update={"recurrence": rule})


def as_held(ev: NormalizedEvent, side: Side) -> NormalizedEvent:
    """What `side` can store of a series' overrides: Garoon has exclusions only, so a split-off
    date and a deleted one are the same there (compare writes in this form)."""
    r = ev.recurrence
    if side != Side.GAROON or r is None or not r.overridden:
        return ev
    rule = _rule(r, set(r.excluded) | set(r.overridden), set())
    return ev.model_copy(update={"recurrence": rule})


def occurrence_day(observed: ObservedEvent, series: Mapping) -> date | None:
    ev, base = observed.event, series.base
    if ev is None or base is None:
        return None
    if ev.original_start is not None:
        return timezones.local_date(ev.original_start, base.timezone)
    if observed.side == Side.GAROON and ev.start is not None:
        return timezones.local_date(ev.start, ev.timezone)
    return None


def _slot(series: NormalizedEvent, day: date) -> datetime:
    assert series.start is not None
    at = series.start.astimezone(timezones.zone(series.timezone)).timetz().replace(tzinfo=None)
    return timezones.localize(day, at, series.timezone)


def _with_split(ev: NormalizedEvent | None, day: date) -> NormalizedEvent | None:
    if ev is None or ev.recurrence is None:
        return ev
    r = ev.recurrence
    return ev.model_copy(
        update={"recurrence": _rule(r, set(r.excluded) - {day}, set(r.overridden) | {day})}
    )


def split_create(
    mapping_id: str, observed: ObservedEvent, series: Mapping, ctx: DecisionContext
) -> Decision:
    """A new occurrence edited on its own on `observed.side`: a child mapping of `series`,
    created on the other side as that series' occurrence."""
    side, target = observed.side, other(observed.side)
    ev = observed.event
    assert ev is not None
    base_series = series.base
    day = occurrence_day(observed, series)
    if (
        series.state != MappingState.ACTIVE
        or base_series is None
        or base_series.recurrence is None
        or record_of(series, target).id is None
        or day is None
    ):
        return Decision(
            None,
            (
                Action(
                    ActionKind.IGNORE,
                    "occurrence-waits-for-series",
                    "the series is not synced yet; the occurrence is observed again with it",
                ),
            ),
        )
    base = ev
    if base.original_start is None:
        base = base.model_copy(update={"original_start": _slot(base_series, day)})
    child = first_mapping(
        mapping_id,
        observed,
        ev,
        ctx,
        base=base,
        rule="occurrence-edit",
        series_mapping_id=series.id,
        occurrence_date=day,
    )
    cmd = command(
        ctx,
        observed,
        child,
        target,
        CommandOp.CREATE,
        event=base,
        reason=f"occurrence {day} of series {series.id} edited on {side.value}",
    )
    child = with_record(child, target, pending(SideRecord(), cmd, ctx.now))
    actions = [
        Action(
            ActionKind.CREATE,
            "occurrence-edit",
            f"{day} of series {series.id}, edited on {side.value}",
            target,
            cmd,
        )
    ]
    parent = _series_with_split(series, day, ctx)
    if parent is not None:
        actions.append(Action(ActionKind.RECORD, "series-occurrence-split", str(day), None, None))
    return Decision(child, tuple(actions), series=parent)


def _series_with_split(series: Mapping, day: date, ctx: DecisionContext) -> Mapping | None:
    """The series mapping with `day` overridden in its base and both snapshots (what each side
    holds once the child's create landed), or None when it already says so."""
    assert series.base is not None
    base = _with_split(series.base, day)
    assert base is not None
    update: dict[str, object] = {}
    for side in (Side.GAROON, Side.GRAPH):
        rec = record_of(series, side)
        snap = _with_split(rec.snapshot, day)
        if snap != rec.snapshot:
            key = "garoon" if side == Side.GAROON else "graph"
            update[key] = rec.model_copy(
                update={"snapshot": snap, "content_hash": content_hash(snap)}
            )
    if base == series.base and not update:
        return None
    return series.model_copy(
        update={
            **update,
            "base": base,
            "revision": series.revision + 1,
            "updated_at": ctx.now,
            "last_rule": "series-occurrence-split",
        }
    )
