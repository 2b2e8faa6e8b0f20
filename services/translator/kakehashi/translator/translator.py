"""The translator's three message handlers: observation, command result, Teams request.

Each handler: load the decision context, then read -> decide -> write in a loop until the
write sticks (persist.decide_and_write), then audit and publish, then return (the bus acks).
Many handlers run at once, in this process and in other replicas: the mapping's revision is
the only coordination.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from kakehashi.bus import Bus, Poison, Retry
from kakehashi.contracts import Message
from kakehashi.contracts.messages import (
    CommandResult,
    ObservedEvent,
    Side,
    SyncCommand,
    TeamsMeetingRequest,
)
from kakehashi.contracts.state import Mapping, MappingState
from kakehashi.engine.decide import decide
from kakehashi.engine.decision import Action, ActionKind, Decision, DecisionContext
from kakehashi.engine.results import apply_result
from kakehashi.engine.window import reexplode
from kakehashi.store import Store
from kakehashi.translator import context, lookup, persist, reissue, teams
from kakehashi.translator.persist import Planned

log = logging.getLogger("kakehashi.translator")


def _exploded(mapping: Mapping) -> bool:
    """A Graph series Garoon holds as single occurrences: an active series mapping with no
    Garoon copy of its own (and none on the way, or it would not be active)."""
    return (
        mapping.state == MappingState.ACTIVE
        and mapping.garoon.id is None
        and not mapping.garoon.pending_command_id
        and mapping.base is not None
        and mapping.base.recurrence is not None
    )


def _ignore(rule: str, detail: str, side: Side | None = None) -> Decision:
    return Decision(None, (Action(ActionKind.IGNORE, rule, detail, side),))


class Translator:
    def __init__(self, store: Store, bus: Bus, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.bus = bus
        self.clock = clock

    async def on_observed_queue(self, message: Message) -> None:
        """translator.observed carries observations of both sides and Teams requests."""
        if isinstance(message, TeamsMeetingRequest):
            await self.on_teams(message)
        elif isinstance(message, ObservedEvent):
            await self.on_observed(message)
        else:
            raise Poison(f"unexpected {message.KIND} on the observed queue")

    async def on_results_queue(self, message: Message) -> None:
        if not isinstance(message, CommandResult):
            raise Poison(f"unexpected {message.KIND} on the results queue")
        await self.on_result(message)

    # ------------------------------------------------------------------ observations
    async def on_observed(self, obs: ObservedEvent) -> None:
        loaded = await context.load(self.store, obs.tenant_id, obs.user_link_id, self.clock)
        ctx = loaded.ctx
        if not context.syncs(loaded.link):
            planned = Planned(None, _ignore("user-not-synced", "link disabled or unknown"))
            await persist.audit(self.store, obs, planned, obs.user_link_id, ctx.now)
            return

        async def plan() -> Planned:
            mapping = await lookup.find(self.store, obs)
            series = None if mapping else await lookup.find_series(self.store, obs)
            decision = decide(mapping, obs, ctx, series)
            extra: tuple[SyncCommand, ...] = ()
            if mapping is not None and decision.mapping is None and _exploded(mapping):
                extra = await self._occurrence_resends(mapping, obs, ctx)
            return Planned(mapping, decision, extra)

        planned = await persist.decide_and_write(self.store, plan, "observation")
        await self._finish(obs, planned, obs.user_link_id, obs.occurred_at, ctx)

    async def _occurrence_resends(
        self, parent: Mapping, obs: ObservedEvent, ctx: DecisionContext
    ) -> tuple[SyncCommand, ...]:
        """The engine re-sends in-flight writes of the mapping it is given; the writes of an
        exploded series live in its occurrence mappings, so a redelivered series observation
        would not re-send them after a failed publish. Re-send those still in flight."""
        children = await self.store.mappings.list_series_children(parent.id)
        return tuple(cmd for c in children for cmd in reissue.pending_commands(c, obs, ctx))

    # ------------------------------------------------------------------ results
    async def on_result(self, result: CommandResult) -> None:
        loaded = await context.load(self.store, result.tenant_id, result.user_link_id, self.clock)
        ctx = loaded.ctx

        async def plan() -> Planned:
            mapping = await self.store.mappings.get(result.mapping_id)
            if mapping is None or mapping.tenant_id != result.tenant_id:
                return Planned(None, _ignore("result-unmapped", "no such mapping", result.side))
            decision = apply_result(mapping, result, ctx)
            extra: tuple[SyncCommand, ...] = ()
            if decision.mapping is None and decision.rule == "stale-result":
                # Possibly our own redelivery after a failed follow-up publish: re-send what
                # the mapping still has in flight (same ids; connectors drop duplicates).
                extra = tuple(reissue.pending_commands(mapping, result, ctx))
            return Planned(mapping, decision, extra)

        planned = await persist.decide_and_write(self.store, plan, "result")
        await self._finish(result, planned, result.user_link_id, None, ctx)

    # ------------------------------------------------------------------ Teams
    async def on_teams(self, request: TeamsMeetingRequest) -> None:
        loaded = await context.load(self.store, request.tenant_id, request.user_link_id, self.clock)
        ctx = loaded.ctx
        if not context.syncs(loaded.link):
            planned = Planned(None, _ignore("user-not-synced", "link disabled or unknown"))
            await persist.audit(self.store, request, planned, request.user_link_id, ctx.now)
            return

        async def plan() -> Planned:
            mapping = await self.store.mappings.by_garoon_id(
                request.tenant_id, request.garoon_event_id
            )
            if mapping is None:
                # The connector publishes the event's observation before the request; the
                # mapping is moments away.
                raise Retry(
                    f"Garoon event {request.garoon_event_id} is not mapped yet",
                    delay=teams.patience(request, ctx.now),
                )
            return Planned(mapping, teams.plan(mapping, request, ctx))

        planned = await persist.decide_and_write(self.store, plan, "teams request")
        await self._finish(request, planned, request.user_link_id, request.occurred_at, ctx)

    # ------------------------------------------------------------------ shared tail
    async def _finish(
        self,
        trigger: Message,
        planned: Planned,
        link_id: str | None,
        observed_at: datetime | None,
        ctx: DecisionContext,
    ) -> None:
        steps = [planned]
        decision = planned.decision
        asked = any(a.rule == "reexplode" for a in decision.actions)
        # Also after a decision that wrote nothing for an exploded series (a redelivery): a
        # re-explosion that failed after the series was written is then made up for.
        parent = decision.mapping or planned.before
        if parent is not None and (asked or (decision.mapping is None and _exploded(parent))):
            steps.append(await self._reexplode(parent.id, trigger, ctx))
        now = self.clock()
        for step in steps:
            await persist.audit(self.store, trigger, step, link_id, now)
        commands = [c for step in steps for c in step.commands]
        await persist.publish(self.bus, commands, observed_at, now)
        if commands:
            log.info(
                "commands published",
                extra={
                    "message_id": trigger.message_id,
                    "rule": planned.decision.rule,
                    "commands": [c.message_id for c in commands],
                },
            )

    async def _reexplode(self, parent_id: str, trigger: Message, ctx: DecisionContext) -> Planned:
        """The engine's follow-up when a series Garoon holds as single occurrences changed:
        bring those occurrence mappings (and their Garoon events) up to the series."""

        async def plan() -> Planned:
            parent = await self.store.mappings.get(parent_id)
            if parent is None or parent.base is None:
                return Planned(None, _ignore("reexplode-gone", "series mapping vanished"))
            children = await self.store.mappings.list_series_children(parent_id)
            return Planned(parent, reexplode(parent, children, trigger, ctx))

        return await persist.decide_and_write(self.store, plan, "re-explode")
