"""Deletes observed on one side: edit beats delete, window edges, tombstones."""

from __future__ import annotations

from kakehashi.contracts.messages import CommandOp, ObservedEvent
from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.engine import window
from kakehashi.engine.decision import (
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    clear_pending,
    command,
    other,
    pending,
    record_of,
    recreate,
    with_record,
)
from kakehashi.engine.merge import changed_groups
from kakehashi.engine.translate.project import project


def on_delete(mapping: Mapping, observed: ObservedEvent, ctx: DecisionContext) -> Decision:
    side, target = observed.side, other(observed.side)
    rec, orec = record_of(mapping, side), record_of(mapping, target)
    assert mapping.base is not None
    lacking = bool(rec.pending_command_id) or (
        rec.snapshot is not None
        and bool(
            changed_groups(
                rec.snapshot, project(mapping.base, side, ctx.translation, held=rec.snapshot)
            )
        )
    )
    if lacking and mapping.state == MappingState.ACTIVE:
        # The other side edited what this side deleted: keep the edit, recreate the copy.
        new, action = recreate(
            ctx,
            observed,
            mapping,
            side,
            "edit-beats-delete",
            f"{target.value} has edits {side.value} never got",
        )
        return Decision(new, (action,))
    if window.left_window(mapping.base, ctx, observed.event, rec.snapshot, orec.snapshot):
        return Decision(
            None,
            (
                Action(
                    ActionKind.IGNORE,
                    "window-edge",
                    "outside the window (ended, moved before its start or past the horizon):"
                    " not a deliberate delete",
                ),
            ),
        )
    new = mapping.model_copy(
        update={
            "state": MappingState.TOMBSTONED,
            "tombstoned_at": ctx.now,
            "revision": mapping.revision + 1,
            "updated_at": ctx.now,
            "last_rule": "delete",
        }
    )
    new = with_record(new, side, clear_pending(rec).model_copy(update={"snapshot": None}))
    if orec.id is None:  # our create there is still in flight: delete when it lands
        new = with_record(new, target, orec.model_copy(update={"pending_delete": True}))
        return Decision(
            new,
            (Action(ActionKind.RECORD, "delete-after-create", "create still in flight", target),),
        )
    cmd = command(
        ctx,
        observed,
        new,
        target,
        CommandOp.DELETE,
        event=mapping.base,
        reason=f"delete: deleted on {side.value}",
    )
    new = with_record(new, target, pending(orec, cmd, ctx.now))
    return Decision(
        new, (Action(ActionKind.DELETE, "delete", f"deleted on {side.value}", target, cmd),)
    )
