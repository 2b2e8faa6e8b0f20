"""Decision types, the decision context (with the injected clock) and command building."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from kakehashi.contracts.envelope import Message, deterministic_id
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import CommandOp, ObservedEvent, Side, SyncCommand
from kakehashi.contracts.state import Mapping, MappingState, SideRecord, SyncPolicy
from kakehashi.engine import timezones
from kakehashi.engine.hashing import content_hash
from kakehashi.engine.merge import GROUPS, MAILING_GROUPS
from kakehashi.engine.translate.context import TranslationContext

PENDING_TIMEOUT = timedelta(minutes=15)  # a write with no result by then is presumed lost


class ActionKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RECORD = "record"  # state written, nothing sent
    IGNORE = "ignore"  # nothing written, nothing sent


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    rule: str
    detail: str = ""
    side: Side | None = None
    command: SyncCommand | None = None


@dataclass(frozen=True)
class Decision:
    """What to write (compare-and-set on the previous revision) and what to send."""

    mapping: Mapping | None
    actions: tuple[Action, ...]
    children: tuple[Mapping, ...] = ()  # new occurrence mappings (inserted)
    # The parent series mapping, when an occurrence edit changed it: compare-and-set on
    # `series.revision - 1` (engine/occurrences.py).
    series: Mapping | None = None

    @property
    def commands(self) -> list[SyncCommand]:
        return [a.command for a in self.actions if a.command is not None]

    @property
    def rule(self) -> str:
        return self.actions[0].rule if self.actions else ""


@dataclass(frozen=True)
class DecisionContext:
    tenant_id: str
    clock: Callable[[], datetime]  # injected; the engine never reads the system clock
    translation: TranslationContext = field(default_factory=TranslationContext)
    policy: SyncPolicy = field(default_factory=SyncPolicy)
    linked_at: datetime | None = None

    @property
    def now(self) -> datetime:
        return self.clock()

    @property
    def today(self) -> date:
        return timezones.local_date(self.now, self.translation.default_zone)

    @property
    def window_start(self) -> datetime:
        """Today's midnight, or the backfill date when an admin chose one."""
        first = self.today
        if self.policy.backfill_from and self.policy.backfill_from < first:
            first = self.policy.backfill_from
        return timezones.local_midnight(first, self.translation.default_zone)

    @property
    def repeat_horizon(self) -> datetime:
        return timezones.local_midnight(
            self.today + timedelta(days=self.policy.repeat_window_days),
            self.translation.default_zone,
        )


def other(side: Side) -> Side:
    return Side.GRAPH if side == Side.GAROON else Side.GAROON


def record_of(mapping: Mapping, side: Side) -> SideRecord:
    return mapping.garoon if side == Side.GAROON else mapping.graph


def with_record(mapping: Mapping, side: Side, record: SideRecord, **extra: object) -> Mapping:
    key = "garoon" if side == Side.GAROON else "graph"
    return mapping.model_copy(update={key: record, **extra})


def continuing(stepped: Mapping, before: Mapping) -> Mapping:
    """`stepped` handed to a follow-up step of the same decision, at `before`'s revision.

    Revision rule: one decision = exactly one revision step (the store's compare-and-set
    stores `expected + 1`), and every command a decision builds takes its message id from
    that stepped revision. A step that bumps (on_change, on_delete, recreate) and runs after
    another step of the same decision gets the mapping back at the decision's starting
    revision, so it takes the same single step instead of a second one."""
    return stepped.model_copy(update={"revision": before.revision})


def clear_pending(record: SideRecord) -> SideRecord:
    return record.model_copy(
        update={
            "pending_command_id": None,
            "pending_fields": [],
            "pending_event": None,
            "pending_op": None,
            "pending_since": None,
            "pending_invitees": [],
        }
    )


def mails_attendees(
    side: Side, op: CommandOp, ev: NormalizedEvent | None, fields: list[str]
) -> bool:
    """Whether Exchange will mail attendees for this write (deliberate, flagged)."""
    if side != Side.GRAPH or ev is None or not any(p.email for p in ev.attendees):
        return False
    if op != CommandOp.UPDATE:
        return True
    touched = {g for g, fs in GROUPS.items() if set(fs) & set(fields)}
    return bool(touched & MAILING_GROUPS)


def command(
    ctx: DecisionContext,
    trigger: Message,
    mapping: Mapping,
    side: Side,
    op: CommandOp,
    *,
    event: NormalizedEvent | None,
    reason: str,
    fields: list[str] | None = None,
) -> SyncCommand:
    """A command whose message id is fixed by (mapping, side, op, revision): a redelivered
    decision yields the same message, which consumers drop as already processed."""
    rec = record_of(mapping, side)
    fields = fields or []
    key = mapping.idempotency_key or mapping.id
    if op != CommandOp.CREATE:
        key = deterministic_id(mapping.id, side.value, op.value, str(mapping.revision))
    return SyncCommand(
        message_id=deterministic_id(mapping.id, side.value, op.value, str(mapping.revision)),
        correlation_id=trigger.correlation_id,
        causation_id=trigger.message_id,
        tenant_id=ctx.tenant_id,
        occurred_at=ctx.now,
        side=side,
        op=op,
        user_link_id=mapping.user_link_id,
        mapping_id=mapping.id,
        idempotency_key=key,
        target_id=rec.id,
        base_version=rec.version,
        mapping_revision=mapping.revision,
        event=event,
        reason=reason,
        fields=fields,
        notify_attendees=mails_attendees(side, op, event, fields),
    )


def pending(record: SideRecord, cmd: SyncCommand, now: datetime) -> SideRecord:
    return record.model_copy(
        update={
            "pending_command_id": cmd.message_id,
            "pending_fields": list(cmd.fields),
            "pending_event": cmd.event,
            "pending_op": cmd.op.value,
            "pending_since": now,
            "pending_invitees": list(cmd.invitees),
        }
    )


def resend_pending(mapping: Mapping, trigger: Message, ctx: DecisionContext) -> list[SyncCommand]:
    """The writes `mapping` records as in flight, rebuilt under their first message ids.

    Consumers drop a message id they already processed, so a re-send is harmless when the
    first copy arrived, and heals a crash between the state write and the publish. A create
    keeps the create's key (the connector finds the first copy by its tag); a Teams meeting
    keeps its invitees (recorded in the pending record) and the create's key too."""
    out: list[SyncCommand] = []
    for side in (Side.GAROON, Side.GRAPH):
        rec = record_of(mapping, side)
        if not rec.pending_command_id or not rec.pending_op:
            continue
        try:
            op = CommandOp(rec.pending_op)
        except ValueError:
            continue  # written by a newer version: its own trigger re-sends it
        cmd = command(
            ctx,
            trigger,
            mapping,
            side,
            op,
            event=rec.pending_event,
            reason=f"reissue {op.value}",
            fields=list(rec.pending_fields),
        )
        update: dict[str, object] = {"message_id": rec.pending_command_id}
        if op in (CommandOp.CREATE, CommandOp.TEAMS_MEETING):
            update["idempotency_key"] = mapping.idempotency_key or mapping.id
        if op == CommandOp.TEAMS_MEETING:
            update["invitees"] = list(rec.pending_invitees)
            update["notify_attendees"] = bool(rec.pending_invitees)
        out.append(cmd.model_copy(update=update))
    return out


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def recreate(
    ctx: DecisionContext, trigger: Message, mapping: Mapping, side: Side, rule: str, reason: str
) -> tuple[Mapping, Action]:
    """Create the copy on `side` again from the base (edit beats delete), under a new key so
    the connector cannot hand back the deleted copy; the key is also the copy's tag."""
    key = deterministic_id(mapping.id, "recreate", str(mapping.revision + 1))
    extra: dict[str, object] = {"garoon_id": None} if side == Side.GAROON else {}
    new = with_record(
        mapping,
        side,
        SideRecord(),
        idempotency_key=key,
        revision=mapping.revision + 1,
        updated_at=ctx.now,
        last_rule=rule,
        **extra,
    )
    cmd = command(ctx, trigger, new, side, CommandOp.CREATE, event=new.base, reason=reason)
    new = with_record(new, side, pending(SideRecord(), cmd, ctx.now))
    return new, Action(ActionKind.CREATE, rule, reason, side, cmd)


def first_mapping(
    mapping_id: str,
    observed: ObservedEvent,
    ev: NormalizedEvent,
    ctx: DecisionContext,
    *,
    base: NormalizedEvent,
    rule: str,
    **extra: object,
) -> Mapping:
    """A pending-create mapping for an event first seen in `observed`, recording what its
    side showed (the create's idempotency key is the mapping id)."""
    side = observed.side
    mapping = Mapping(
        id=mapping_id,
        tenant_id=ctx.tenant_id,
        user_link_id=observed.user_link_id,
        state=MappingState.PENDING_CREATE,
        revision=1,
        base=base,
        idempotency_key=mapping_id,
        updated_at=ctx.now,
        last_rule=rule,
        garoon_id=observed.source_id if side == Side.GAROON else None,
        graph_ical_uid=observed.ical_uid if side == Side.GRAPH else None,
        **extra,  # optional Mapping fields, named by the caller
    )
    return with_record(
        mapping,
        side,
        SideRecord(
            id=observed.source_id,
            version=observed.version,
            content_hash=content_hash(ev),
            modified_at=parse_time(observed.modified_at),
            snapshot=ev,
        ),
    )
