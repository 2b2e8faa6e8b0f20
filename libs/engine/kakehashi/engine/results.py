"""Applying a connector's CommandResult to the mapping: record the new id/version/hash so the
echo of our own write is recognised, then send whatever the base gained meanwhile."""

from __future__ import annotations

from kakehashi.contracts.envelope import deterministic_id
from kakehashi.contracts.messages import (
    CommandOp,
    CommandOutcome,
    CommandResult,
    ObservedEvent,
    Side,
)
from kakehashi.contracts.state import Mapping, MappingState, SideRecord
from kakehashi.engine.decide import on_change, sync_sides, unreadable
from kakehashi.engine.decision import (
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    clear_pending,
    command,
    continuing,
    pending,
    record_of,
    recreate,
    with_record,
)
from kakehashi.engine.deletes import on_delete
from kakehashi.engine.hashing import content_hash
from kakehashi.engine.merge import GROUPS, changed_groups, take
from kakehashi.engine.occurrences import align_series
from kakehashi.engine.translate.project import project

RECREATED = "edit-beats-delete"
UNREADABLE = "copy-unreadable"


def apply_result(
    mapping: Mapping, result: CommandResult, ctx: DecisionContext, *, copy_deleted: bool = False
) -> Decision:
    """`copy_deleted`: the store already holds a tombstone for the created copy's id (its
    delete was observed before this result told us the id): finish as a delete."""
    side = result.side
    rec = record_of(mapping, side)
    if result.op == CommandOp.RESPOND:
        # Never pending: the organizer's copy shows the answer, observed like any change.
        detail = f"{result.outcome.value} {result.error or ''}".strip()
        return Decision(None, (Action(ActionKind.IGNORE, "respond-done", detail, side),))
    if result.command_id != rec.pending_command_id:
        return Decision(
            None,
            (
                Action(
                    ActionKind.IGNORE,
                    "stale-result",
                    "not the write in flight (duplicate or superseded)",
                ),
            ),
        )
    sent, op = rec.pending_event, result.op
    done = clear_pending(rec)
    bump = {"revision": mapping.revision + 1, "updated_at": ctx.now}
    if (
        result.outcome == CommandOutcome.FAILED
        and result.event is not None
        and rec.id
        and not unreadable(result.event)
    ):
        return _conflict(mapping, side, done, result, ctx)
    if result.outcome == CommandOutcome.FAILED:
        new = with_record(mapping, side, done, **bump, last_rule="command-failed")
        return Decision(
            new, (Action(ActionKind.RECORD, "command-failed", result.error or "", side),)
        )
    if op == CommandOp.DELETE:
        new = with_record(
            mapping, side, done.model_copy(update={"snapshot": None}), **bump, last_rule="deleted"
        )
        return Decision(new, (Action(ActionKind.RECORD, "deleted", result.outcome.value, side),))
    if result.outcome == CommandOutcome.NOT_FOUND:
        if op == CommandOp.CREATE and mapping.last_rule == RECREATED:
            # Two copies in a row gone the moment they were written: we cannot see what we
            # write there (e.g. a private Garoon event the service account may not read).
            # Creating a third would only pile up copies we cannot see.
            new = with_record(mapping, side, done, **bump, last_rule=UNREADABLE)
            why = "the copy was not readable right after it was written, twice; not recreated"
            return Decision(new, (Action(ActionKind.RECORD, UNREADABLE, why, side),))
        return _recreate(mapping, side, result, ctx)
    assert sent is not None
    written = project(sent, side, ctx.translation, held=rec.snapshot)
    if op == CommandOp.UPDATE and rec.snapshot is not None:
        groups = {g for g, fs in GROUPS.items() if set(fs) & set(rec.pending_fields)}
        expected = take(rec.snapshot, written, groups)
    else:
        expected = written
    expected = align_series(expected, mapping.base, side, ctx.repeat_horizon.date()) or expected
    result_event = align_series(result.event, mapping.base, side, ctx.repeat_horizon.date())
    if unreadable(result_event):
        result_event = None  # nothing to merge from a rule we cannot read
    modified = result_event.versions.modified_at if result_event else None
    done = done.model_copy(
        update={
            "id": result.target_id or rec.id,
            "version": result.new_version,
            "snapshot": expected,
            "content_hash": content_hash(expected),
            "modified_at": modified or rec.modified_at,
        }
    )
    extra: dict[str, object] = {}
    if mapping.state == MappingState.PENDING_CREATE:
        extra["state"] = MappingState.ACTIVE
    if side == Side.GAROON and result.target_id:
        extra["garoon_id"] = result.target_id
    if side == Side.GRAPH and result.ical_uid:
        extra["graph_ical_uid"] = result.ical_uid
    new = with_record(mapping, side, done, **bump, **extra, last_rule=f"{op.value}-done")
    actions = [Action(ActionKind.RECORD, f"{op.value}-done", f"version {result.new_version}", side)]
    if done.pending_delete:
        return _delete_after_create(new, side, result, ctx, actions)
    if copy_deleted and op == CommandOp.CREATE and result.target_id:
        gone = ObservedEvent(
            message_id=deterministic_id(result.message_id, "copy-deleted"),
            tenant_id=ctx.tenant_id,
            occurred_at=ctx.now,
            side=side,
            user_link_id=result.user_link_id,
            source_id=result.target_id,
            deleted=True,
        )
        follow = on_delete(continuing(new, mapping), gone, ctx)
        return Decision(follow.mapping or new, (*actions, *follow.actions))
    if mapping.state == MappingState.TOMBSTONED:
        return Decision(new, tuple(actions))
    if result_event is not None and changed_groups(expected, result_event):
        # The target holds more than we wrote: someone edited it meanwhile. Merge that in.
        follow = on_change(
            continuing(new, mapping),
            side,
            result_event,
            result.new_version,
            modified,
            result,
            ctx,
            "concurrent-edit",
        )
        return Decision(follow.mapping, (*actions, *follow.actions))
    new, sent_actions = sync_sides(new, result, ctx, "base changed while the write was in flight")
    return Decision(new, (*actions, *sent_actions))


def _recreate(
    mapping: Mapping, side: Side, result: CommandResult, ctx: DecisionContext
) -> Decision:
    """The copy we updated is gone: the edit beats the delete, so create it again."""
    if mapping.state == MappingState.TOMBSTONED or mapping.base is None:
        return Decision(None, (Action(ActionKind.IGNORE, "gone", "tombstoned"),))
    new, action = recreate(ctx, result, mapping, side, RECREATED, "target vanished during update")
    return Decision(new, (action,))


def _delete_after_create(
    mapping: Mapping, side: Side, result: CommandResult, ctx: DecisionContext, actions: list[Action]
) -> Decision:
    # `mapping` already carries this decision's revision step (apply_result's bump).
    rec = record_of(mapping, side).model_copy(update={"pending_delete": False})
    mapping = with_record(mapping, side, rec)
    cmd = command(
        ctx,
        result,
        mapping,
        side,
        CommandOp.DELETE,
        event=mapping.base,
        reason="deleted at the source while the create was in flight",
    )
    mapping = with_record(mapping, side, pending(rec, cmd, ctx.now))
    return Decision(
        mapping, (*actions, Action(ActionKind.DELETE, "delete-after-create", "", side, cmd))
    )


def _conflict(
    mapping: Mapping, side: Side, done: SideRecord, result: CommandResult, ctx: DecisionContext
) -> Decision:
    """The target changed since our decision (conditional write refused; it sent what it
    holds). Merge its state like an observation; a refused delete means edit beats delete."""
    assert result.event is not None
    mapping = with_record(mapping, side, done)
    rule = "conflict-reread"
    horizon = ctx.repeat_horizon.date()
    if result.op == CommandOp.DELETE and mapping.state == MappingState.TOMBSTONED:
        held_now = align_series(result.event, mapping.base, side, horizon)
        snap = align_series(done.snapshot, mapping.base, side, horizon)
        ours = [snap]  # what we last saw there, or what our own writes made of it
        if mapping.base is not None:
            ours.append(project(mapping.base, side, ctx.translation, held=done.snapshot))
        if held_now is not None and any(
            o is not None and not changed_groups(o, held_now) for o in ours
        ):
            # A new version without anybody's new content (our own update that was still in
            # flight, our own split of an occurrence off this series): delete again.
            again = done.model_copy(update={"version": result.new_version})
            new = with_record(
                mapping,
                side,
                again,
                revision=mapping.revision + 1,
                updated_at=ctx.now,
                last_rule="delete-retry",
            )
            cmd = command(
                ctx, result, new, side, CommandOp.DELETE, event=mapping.base, reason="delete again"
            )
            new = with_record(new, side, pending(again, cmd, ctx.now))
            return Decision(
                new,
                (
                    Action(
                        ActionKind.DELETE,
                        "delete-retry",
                        "version moved, content did not",
                        side,
                        cmd,
                    ),
                ),
            )
        source = Side.GRAPH if side == Side.GAROON else Side.GAROON
        mapping = mapping.model_copy(update={"state": MappingState.ACTIVE, "tombstoned_at": None})
        mapping = with_record(
            mapping, source, SideRecord(), **({"garoon_id": None} if source == Side.GAROON else {})
        )
        rule = "edit-beats-delete"
    held = align_series(result.event, mapping.base, side, ctx.repeat_horizon.date())
    assert held is not None
    merged = on_change(
        mapping,
        side,
        held,
        result.new_version,
        result.event.versions.modified_at,
        result,
        ctx,
        rule,
    )
    assert merged.mapping is not None
    new = merged.mapping
    actions = list(merged.actions)
    if rule == "edit-beats-delete":
        source = Side.GRAPH if side == Side.GAROON else Side.GAROON
        new, action = recreate(
            ctx, result, continuing(new, mapping), source, rule, "recreate the deleted copy"
        )
        actions.append(action)
    return Decision(new, tuple(actions))
