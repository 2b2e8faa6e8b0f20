"""The sync decision: one observation (or one command result) -> state to write + commands.

Invariants (docs/architecture.md, "The sync decision"): an echo is a no-op; a create first
writes a pending mapping with a deterministic key; edits merge per field group; an edit beats
a delete; a tombstone is never resurrected; a non-organizer meeting copy never creates.
"""

from __future__ import annotations

from datetime import datetime

from kakehashi.contracts.envelope import Message, deterministic_id
from kakehashi.contracts.event import Frequency, NormalizedEvent, Person, Response
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side
from kakehashi.contracts.state import Mapping, MappingState, SideRecord
from kakehashi.engine import window
from kakehashi.engine.decision import (
    PENDING_TIMEOUT,
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    clear_pending,
    command,
    first_mapping,
    other,
    parse_time,
    pending,
    record_of,
    resend_pending,
    with_record,
)
from kakehashi.engine.deletes import on_delete
from kakehashi.engine.hashing import content_hash
from kakehashi.engine.merge import GROUPS, changed_groups, fields_of, group_value, merge3, take
from kakehashi.engine.occurrences import align_series, as_held, split_create
from kakehashi.engine.translate.project import project

# How a re-sent write is audited (a Teams meeting is an update of the Outlook event).
_KINDS = {
    CommandOp.CREATE: ActionKind.CREATE,
    CommandOp.UPDATE: ActionKind.UPDATE,
    CommandOp.DELETE: ActionKind.DELETE,
}


def _ignore(rule: str, detail: str = "") -> Decision:
    return Decision(None, (Action(ActionKind.IGNORE, rule, detail),))


def mapping_id_for(tenant_id: str, observed: ObservedEvent) -> str:
    """One id per logical event: Graph meeting copies share the iCalUId, Garoon events are
    one object for all attendees. Also the create's idempotency key and ownership tag."""
    if observed.side == Side.GRAPH and observed.ical_uid:
        return deterministic_id(tenant_id, "graph-ical", observed.ical_uid)
    return deterministic_id(tenant_id, observed.side.value, observed.source_id)


def unreadable(ev: NormalizedEvent | None) -> bool:
    """A series whose source rule we cannot read (Frequency.UNKNOWN): never merged, written
    or created from; its last synced state stays as it is."""
    return (
        ev is not None
        and ev.recurrence is not None
        and (ev.recurrence.frequency == Frequency.UNKNOWN)
    )


def _unexpressible(observed: ObservedEvent) -> Decision:
    return _ignore(
        "unexpressible-repeat",
        f"{observed.side.value} {observed.source_id}: repeat rule of an unknown type;"
        " not synced until it is readable",
    )


def decide(
    mapping: Mapping | None,
    observed: ObservedEvent,
    ctx: DecisionContext,
    series: Mapping | None = None,
) -> Decision:
    """`series`: for an observation with `series_id` (a Graph exception, a Garoon occurrence
    split off its series), the mapping whose record on `observed.side` has id `series_id`
    (explain.find_series_mapping); it is only used when `mapping` is None."""
    if unreadable(observed.event) and not observed.deleted:
        return _unexpressible(observed)
    if mapping is None:
        return _decide_new(observed, ctx, series)
    side = observed.side
    rec = record_of(mapping, side)
    if mapping.state == MappingState.TOMBSTONED:
        return _ignore("tombstone", "deleted events are never resurrected")
    if side == Side.GRAPH and not observed.is_organizer_copy:
        return _ignore("attendee-copy", "the organizer's copy is the one synced")
    if rec.id is None:
        return _ignore("own-create-echo", "our create on this side is in flight")
    if observed.source_id != rec.id:
        return _ignore("foreign-copy", f"mapped to {rec.id}, observed {observed.source_id}")
    if observed.deleted:
        return on_delete(mapping, observed, ctx)
    if observed.version is not None and observed.version == rec.version:
        return _reissue_lost(mapping, observed, ctx, "echo-version")
    seen = parse_time(observed.modified_at)
    if seen and rec.modified_at and seen < rec.modified_at:
        return _ignore("stale-observation", "older than what is recorded (reordered)")
    ev = align_series(observed.event, mapping.base, side, ctx.repeat_horizon.date())
    if ev is None:
        return _ignore("no-content")
    if content_hash(ev) == rec.content_hash:
        rec = rec.model_copy(update={"version": observed.version, "modified_at": seen})
        new = with_record(
            mapping,
            side,
            rec,
            revision=mapping.revision + 1,
            updated_at=ctx.now,
            last_rule="echo-hash",
        )
        return Decision(new, (Action(ActionKind.RECORD, "echo-hash", "content unchanged"),))
    return on_change(mapping, side, ev, observed.version, seen, observed, ctx, "merge")


def _decide_new(
    observed: ObservedEvent, ctx: DecisionContext, series: Mapping | None = None
) -> Decision:
    ev = observed.event
    if observed.deleted or ev is None:
        # Remember the delete, so a late observation of the live event cannot create it.
        tomb = Mapping(
            id=mapping_id_for(ctx.tenant_id, observed),
            tenant_id=ctx.tenant_id,
            user_link_id=observed.user_link_id,
            state=MappingState.TOMBSTONED,
            revision=1,
            tombstoned_at=ctx.now,
            updated_at=ctx.now,
            last_rule="unknown-delete",
            garoon_id=observed.source_id if observed.side == Side.GAROON else None,
            graph_ical_uid=observed.ical_uid if observed.side == Side.GRAPH else None,
        )
        # Only the side record names the copy: a create result may still claim the id
        # (apply_result's copy_deleted), so the unique garoon_id/iCalUId stay free.
        tomb = tomb.model_copy(update={"garoon_id": None, "graph_ical_uid": None})
        tomb = with_record(tomb, observed.side, SideRecord(id=observed.source_id))
        return Decision(
            tomb, (Action(ActionKind.RECORD, "unknown-delete", "tombstone, nothing to delete"),)
        )
    if observed.kakehashi_tag:
        return _ignore(
            "own-copy-without-mapping",
            f"carries our tag {observed.kakehashi_tag}: look it up, never copy it",
        )
    if observed.side == Side.GRAPH and not observed.is_organizer_copy:
        organizer = ev.organizer.email if ev.organizer else None
        if ctx.translation.login_for(organizer):
            return _ignore("attendee-copy", "the linked organizer's copy creates the event")
    verdict = window.admits(ev, parse_time(observed.modified_at), ctx)
    if verdict:
        return _ignore("outside-window", verdict)
    side, target = observed.side, other(observed.side)
    mid = mapping_id_for(ctx.tenant_id, observed)
    if observed.series_id and (series is None or series.id != mid):
        if series is None:
            # Never as an event of its own: the other side still has the occurrence in its
            # series (a duplicate). The series' own observation maps it; the occurrence is
            # observed again with it (Graph: with every master read; Garoon: the sweep).
            return _ignore("occurrence-waits-for-series", f"series {observed.series_id}")
        if series.base is not None and target == Side.GAROON and window.needs_explode(series.base):
            return _ignore(
                "occurrence-of-exploded-series",
                "Garoon holds this series as single events; an edited occurrence is not synced",
            )
        if series.state != MappingState.TOMBSTONED:
            return split_create(mid, observed, series, ctx)
        # A tombstoned series: the occurrence edit beats the series' delete, synced as an
        # event of its own.
    mapping = first_mapping(mid, observed, ev, ctx, base=ev, rule="create")
    if target == Side.GAROON and window.needs_explode(ev):
        return window.explode_create(mapping, observed, ctx)
    cmd = command(
        ctx,
        observed,
        mapping,
        target,
        CommandOp.CREATE,
        event=ev,
        reason=f"create: new on {side.value}",
    )
    mapping = with_record(mapping, target, pending(SideRecord(), cmd, ctx.now))
    return Decision(
        mapping, (Action(ActionKind.CREATE, "create", f"new on {side.value}", target, cmd),)
    )


def on_change(
    mapping: Mapping,
    side: Side,
    ev: NormalizedEvent,
    version: str | None,
    seen: datetime | None,
    trigger: Message,
    ctx: DecisionContext,
    rule: str,
) -> Decision:
    """Merge a change seen on `side` into the base, then bring both sides up to it."""
    assert mapping.base is not None
    rec, orec = record_of(mapping, side), record_of(mapping, other(side))
    tr = ctx.translation
    before = align_series(rec.snapshot, mapping.base, side, ctx.repeat_horizon.date()) or project(
        mapping.base, side, tr
    )
    seen_ev = ev
    if rec.pending_event is not None and rec.pending_fields:
        # Our write to this side is in flight: where the side already shows what we wrote,
        # that is our echo, not the user's edit (no write for an echo, no revert).
        written = project(rec.pending_event, side, tr, held=before)
        echoed = {
            g
            for g, fs in GROUPS.items()
            if set(fs) & set(rec.pending_fields) and group_value(ev, g) == group_value(written, g)
        }
        ev = take(ev, before, echoed)
    result = merge3(
        mapping.base,
        project(mapping.base, side, tr, held=before),
        before,
        ev,
        side,
        ctx.policy.conflict,
        seen,
        orec.modified_at,
        orec.changed_at,
    )
    changed_at = dict(rec.changed_at)
    if seen is not None:
        # Dated by this observation: what it shows changed (not our own echoed writes).
        changed_at.update(dict.fromkeys(sorted(changed_groups(before, ev)), seen))
    rec = rec.model_copy(
        update={
            "changed_at": changed_at,
            "snapshot": seen_ev,
            "version": version,
            "content_hash": content_hash(seen_ev),
            "modified_at": seen or rec.modified_at,
        }
    )
    new = with_record(
        mapping,
        side,
        rec,
        base=result.merged,
        revision=mapping.revision + 1,
        updated_at=ctx.now,
        last_rule=rule,
    )
    detail = f"took {sorted(result.taken)} from {side.value}"
    if result.conflicts:
        detail += "; conflicts: " + ", ".join(result.conflicts)
    new, sent = sync_sides(new, trigger, ctx, f"{rule}: {detail}")
    if side == Side.GAROON:
        sent += answer_in_outlook(new, before, ev, trigger, ctx)
    return Decision(new, (Action(ActionKind.RECORD, rule, detail, side), *sent))


def answer_in_outlook(
    mapping: Mapping,
    before: NormalizedEvent,
    after: NormalizedEvent,
    trigger: Message,
    ctx: DecisionContext,
) -> list[Action]:
    """Garoon attendance-check answers given in this observation, passed on to Outlook: the
    linked attendee's own copy answers (RESPOND), so the organizer's meeting shows it.

    Only an answer that changed on Garoon (before -> after) and that the Outlook meeting does
    not show yet: no answer is made up for anyone, and the answer coming back as a Graph
    change is an ordinary observation that never answers again (only Garoon changes do)."""
    held = mapping.graph
    if mapping.state != MappingState.ACTIVE or held.id is None or held.snapshot is None:
        return []
    was = {p.key: p.response for p in before.attendees}
    shown = {p.email: p.response for p in held.snapshot.attendees if p.email}
    people: list[Person] = [
        p
        for p in after.attendees
        if p.linked
        and p.response in (Response.ACCEPTED, Response.DECLINED)
        and was.get(p.key) != p.response
        and p.email in shown
        and shown[p.email] != p.response
    ]
    if not people:
        return []
    cmd = command(
        ctx,
        trigger,
        mapping,
        Side.GRAPH,
        CommandOp.RESPOND,
        event=None,
        reason="attendance check answered in Garoon",
    )
    # Not a write to the copy we hold: no version check, nothing pending.
    cmd = cmd.model_copy(update={"responses": people, "base_version": None})
    who = ", ".join(f"{p.email}: {p.response.value}" for p in people)
    return [Action(ActionKind.UPDATE, "respond", who, Side.GRAPH, cmd)]


def sync_sides(
    mapping: Mapping, trigger: Message, ctx: DecisionContext, reason: str
) -> tuple[Mapping, list[Action]]:
    """Send each side what the base has and it lacks; one write in flight per side."""
    assert mapping.base is not None
    actions: list[Action] = []
    base = mapping.base
    for side in (Side.GAROON, Side.GRAPH):
        rec = record_of(mapping, side)
        if (
            rec.pending_command_id
            and rec.pending_since
            and (ctx.now - rec.pending_since > PENDING_TIMEOUT)
        ):
            rec = clear_pending(rec)  # result presumed lost: decide afresh (complaint 13)
            mapping = with_record(mapping, side, rec)
        if side == Side.GAROON and rec.id is None and window.needs_explode(base):
            # Written as single occurrences: the translator runs window.reexplode with the
            # children (series_mapping_id == this id). Said, never silently skipped.
            actions.append(
                Action(ActionKind.RECORD, "reexplode", "series changed; occurrences follow", side)
            )
            continue
        if rec.pending_command_id or rec.id is None or mapping.state != MappingState.ACTIVE:
            continue
        assert mapping.base is not None
        want = project(mapping.base, side, ctx.translation, held=rec.snapshot)
        # Split-off dates are the children's business: never a reason to write the series.
        have = align_series(rec.snapshot, base, side, ctx.repeat_horizon.date()) or want
        diff = changed_groups(as_held(have, side), as_held(want, side))
        if not diff:
            continue
        cmd = command(
            ctx,
            trigger,
            mapping,
            side,
            CommandOp.UPDATE,
            event=mapping.base,
            reason=reason,
            fields=fields_of(diff),
        )
        mapping = with_record(mapping, side, pending(rec, cmd, ctx.now))
        actions.append(Action(ActionKind.UPDATE, "propagate", f"{sorted(diff)}", side, cmd))
    return mapping, actions


def _reissue_lost(
    mapping: Mapping, observed: ObservedEvent, ctx: DecisionContext, rule: str
) -> Decision:
    """A redelivered observation: re-send a write still in flight, under its first message id
    (consumers drop it if it was sent), so a crash between state write and publish heals."""
    actions = [
        Action(
            _KINDS.get(cmd.op, ActionKind.UPDATE), "reissue", "write still in flight", cmd.side, cmd
        )
        for cmd in resend_pending(mapping, observed, ctx)
    ]
    if actions:
        return Decision(None, tuple(actions))
    return _ignore(rule, "the version we last wrote or saw")
