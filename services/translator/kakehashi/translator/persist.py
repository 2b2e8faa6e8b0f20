"""Durable before visible: write the decided mapping, record the audit trail, publish.

Order, and why:
1. mapping state (insert for a new mapping, compare-and-set on the revision we decided from
   for an existing one). A lost race means another replica decided on fresher state: the
   caller re-reads and decides again (bounded), so no replica overwrites another's merge.
2. audit entries, with ids fixed by (trigger, mapping, revision, index): a redelivery writes
   the same ids, which the store refuses as duplicates, so the trail has no doubles.
3. commands, each confirmed by the broker. Their message ids are fixed by the decision (the
   engine derives them from mapping, side, op and revision), so a redelivered trigger that
   publishes again yields the same message and the connector drops it.
If 2 or 3 fail, the exception makes the bus redeliver the trigger; the engine then finds the
pending writes in the mapping and re-issues them under the same ids.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from kakehashi.bus import Bus, Retry
from kakehashi.contracts.envelope import Message, deterministic_id
from kakehashi.contracts.messages import SyncCommand
from kakehashi.contracts.state import AuditEntry, Mapping
from kakehashi.engine.decision import Action, Decision
from kakehashi.store import DuplicateKey, Store
from kakehashi.translator import metrics

log = logging.getLogger("kakehashi.translator")

MAX_ROUNDS = 8  # re-read/re-decide rounds before handing the message back to the bus
CONTENTION_DELAY = 1.0


@dataclass(frozen=True)
class Planned:
    """One round's outcome: what the decision was based on, and what it decided."""

    before: Mapping | None
    decision: Decision
    extra_commands: tuple[SyncCommand, ...] = ()  # re-sends the service adds (see reissue)

    @property
    def commands(self) -> list[SyncCommand]:
        return [*self.decision.commands, *self.extra_commands]


async def write(store: Store, planned: Planned) -> bool:
    """False when another writer got there first (the caller re-reads and re-decides).

    A decision may write several mappings; each write is a compare-and-set or an insert on
    its own, ordered so that stopping after any of them leaves a state the redelivered
    message decides from correctly:
    - the series an occurrence edit split (`decision.series`) first: redecided, the split is
      already there and only the occurrence's mapping is still to insert;
    - then the occurrence mappings (`decision.children`): new ones inserted, existing ones
      (the engine re-exploding a series) compare-and-set; before the parent of a new
      explosion, so a redelivery that finds no parent explodes again into the same ids;
    - then the mapping itself.
    """
    decision = planned.decision
    if decision.series is not None and not await _cas(store, decision.series):
        return False
    for child in decision.children:
        if child.revision <= 1:
            try:
                await store.mappings.insert(child)
            except DuplicateKey:
                log.info("occurrence already mapped", extra={"mapping_id": child.id})
        elif not await _cas(store, child):
            return False
    new = decision.mapping
    if new is None:
        return True
    if planned.before is None:
        try:
            await store.mappings.insert(new)
        except DuplicateKey:
            return False
        return True
    # The engine steps the revision exactly once per decision and builds its commands' ids
    # from that stepped revision, the one compare-and-set stores (expected + 1).
    return await _cas(store, new, planned.before.revision)


async def _cas(store: Store, new: Mapping, expected: int | None = None) -> bool:
    """Compare-and-set on `expected` (default: the revision just below the decided one)."""
    expected = new.revision - 1 if expected is None else expected
    try:
        return await store.mappings.compare_and_set(new, expected)
    except DuplicateKey as exc:
        # The new keys clash with another mapping: state changed under us; decide again.
        log.warning("mapping keys clash", extra={"mapping_id": new.id, "error": str(exc)})
        return False


async def decide_and_write(
    store: Store, plan: Callable[[], Awaitable[Planned]], what: str
) -> Planned:
    """Read + decide + write until a write sticks; then the result is durable."""
    for _ in range(MAX_ROUNDS):
        planned = await plan()
        if await write(store, planned):
            return planned
        metrics.CAS_CONFLICTS.inc()
    raise Retry(f"{what}: lost {MAX_ROUNDS} mapping races in a row", delay=CONTENTION_DELAY)


async def audit(
    store: Store, trigger: Message, planned: Planned, link_id: str | None, now: datetime
) -> None:
    decision = planned.decision
    known = decision.mapping or planned.before
    revision = str(known.revision) if known else "-"
    for index, action in enumerate(decision.actions):
        metrics.DECISIONS.labels(action.rule).inc()
        entry = _entry(trigger, known, action, link_id, revision, index, now)
        # A DuplicateKey means an earlier delivery of the same trigger wrote it already.
        with contextlib.suppress(DuplicateKey):
            await store.audit.append(entry)


def _entry(
    trigger: Message,
    mapping: Mapping | None,
    action: Action,
    link_id: str | None,
    revision: str,
    index: int,
    now: datetime,
) -> AuditEntry:
    mid = mapping.id if mapping else None
    detail = action.detail
    if action.command is not None:
        detail = f"{detail} [command {action.command.message_id}]".strip()
    return AuditEntry(
        id=deterministic_id("audit", trigger.message_id, mid or "-", revision, str(index)),
        tenant_id=trigger.tenant_id,
        mapping_id=mid,
        user_link_id=link_id,
        side=action.side.value if action.side else None,
        action=action.kind.value,
        rule=action.rule,
        detail=detail,
        at=now,
    )


async def publish(
    bus: Bus, commands: Sequence[SyncCommand], observed_at: datetime | None, now: datetime
) -> None:
    """Publish with confirms; any failure hands the trigger back to the bus (see above)."""
    for cmd in commands:
        try:
            await bus.publish(cmd)
        except Exception as exc:
            raise Retry(f"publishing {cmd.routing_key} failed: {type(exc).__name__}") from exc
        metrics.COMMANDS.labels(cmd.side.value, cmd.op.value).inc()
        if observed_at is not None:
            metrics.LATENCY.observe(max(0.0, (now - observed_at).total_seconds()))
