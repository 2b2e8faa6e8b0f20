"""The "Create Teams meeting" button: glue the engine has no hook for.

Request -> a TEAMS_MEETING command for the mapped Outlook event, recorded as the Graph side's
write in flight (like any engine command: pending id, op, and the base as the event sent).
Its result then goes through the engine's `apply_result` unchanged: the event read back
holds the join URL (and the invited guests) that the base lacks, which the engine merges as
a change on the Graph side and propagates to Garoon, where the body block renders the link
into the memo. The Garoon write and the Graph state are then recorded, so the observations
that follow are echoes (version or content hash), not changes.

The record in flight keeps the invitees (`SideRecord.pending_invitees`), so the engine
re-sends the Teams write like any other in-flight write (same message id) when an
observation or a result is redelivered.
"""

from __future__ import annotations

from datetime import datetime

from kakehashi.bus import Retry
from kakehashi.contracts.envelope import deterministic_id
from kakehashi.contracts.messages import CommandOp, Side, SyncCommand, TeamsMeetingRequest
from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.engine.decision import (
    Action,
    ActionKind,
    Decision,
    DecisionContext,
    pending,
    with_record,
)

TEAMS = CommandOp.TEAMS_MEETING.value


def patience(request: TeamsMeetingRequest, now: datetime) -> float:
    """Retry delay while the request waits for its event (mapped, its Outlook write done):
    short at first (the observation is published just before the request), longer as the
    request ages (an Outlook create may be throttled). The queue's attempt limit bounds the
    wait; then the request lands in the dead-letter queue, counted and visible."""
    age = (now - request.occurred_at).total_seconds()
    return 1.0 if age < 10 else 5.0 if age < 60 else 30.0


def command_id(request: TeamsMeetingRequest) -> str:
    """Fixed by the request, so a redelivered request re-sends the same message."""
    return deterministic_id("teams", request.message_id)


def _ignore(rule: str, detail: str) -> Decision:
    return Decision(None, (Action(ActionKind.IGNORE, rule, detail, Side.GRAPH),))


def plan(mapping: Mapping, request: TeamsMeetingRequest, ctx: DecisionContext) -> Decision:
    base, rec = mapping.base, mapping.graph
    if mapping.state == MappingState.TOMBSTONED or base is None:
        return _ignore("teams-deleted", "the event was deleted")
    cid = command_id(request)
    cmd = SyncCommand(
        message_id=cid,
        correlation_id=request.correlation_id,
        causation_id=request.message_id,
        tenant_id=ctx.tenant_id,
        occurred_at=ctx.now,
        side=Side.GRAPH,
        op=CommandOp.TEAMS_MEETING,
        user_link_id=mapping.user_link_id,
        mapping_id=mapping.id,
        # The create's key: if the Outlook copy is missing, the connector's create finds the
        # first copy instead of making a second one.
        idempotency_key=mapping.idempotency_key or mapping.id,
        target_id=rec.id,
        base_version=rec.version,
        mapping_revision=mapping.revision + 1,
        event=base,
        reason="Teams meeting requested in Garoon",
        invitees=list(request.invitees),
        notify_attendees=bool(request.invitees),  # inviting the guests is the point
    )
    if rec.pending_command_id == cid:
        # Redelivered request: our command is still in flight; same id, the connector dedupes.
        again = Action(ActionKind.UPDATE, "reissue", "teams meeting", Side.GRAPH, cmd)
        return Decision(None, (again,))
    if rec.pending_command_id:
        # One write in flight per side (the engine's rule): wait for that result.
        raise Retry(
            "another write to the Outlook event is in flight", delay=patience(request, ctx.now)
        )
    have = {p.email for p in base.attendees if p.email}
    if base.join_url and {i.lower() for i in request.invitees} <= have:
        return _ignore("teams-exists", f"already a Teams meeting: {base.join_url}")
    new = with_record(
        mapping,
        Side.GRAPH,
        pending(rec, cmd, ctx.now),
        revision=mapping.revision + 1,
        updated_at=ctx.now,
        last_rule="teams-meeting",
    )
    detail = f"invitees: {', '.join(request.invitees)}" if request.invitees else "no guests"
    return Decision(new, (Action(ActionKind.UPDATE, "teams-meeting", detail, Side.GRAPH, cmd),))
