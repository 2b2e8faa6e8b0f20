"""Message handlers of the Graph connector, one per queue.

Every handler is idempotent: it reads before it writes, its outputs carry deterministic message
ids (a re-run publishes the same messages, which consumers drop), and the ack (by the bus) only
follows once every output is confirmed.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from kakehashi.bus import Poison
from kakehashi.bus.api import Handler
from kakehashi.contracts import Message, routing
from kakehashi.contracts.envelope import deterministic_id
from kakehashi.contracts.messages import (
    CommandOp,
    CommandOutcome,
    CommandResult,
    GraphHint,
    ObservedGraph,
    ResyncRequest,
    Side,
    SyncCommand,
)
from kakehashi.graph_client import NotFound
from kakehashi.graph_connector import failures, teams, write
from kakehashi.graph_connector.clients import ClientCache
from kakehashi.graph_connector.mailbox import Mailbox, Resolver, Skip
from kakehashi.graph_connector.metrics import HANDLED, HANDLER_SECONDS, OBSERVED
from kakehashi.graph_connector.read import Seen, read
from kakehashi.graph_connector.resync import resync
from kakehashi.runtime import ServiceContext


class GraphConnector:
    def __init__(self, ctx: ServiceContext, *, request_timeout: float = 60.0) -> None:
        self.ctx = ctx
        self.log = ctx.log
        self.clients = ClientCache(
            ctx.http, ca_file=ctx.settings.ca_file, request_timeout=request_timeout
        )
        self.resolver = Resolver(ctx.store, self.clients, ctx.clock)

    def close(self) -> None:
        self.clients.close()

    # ------------------------------------------------------------------ plumbing
    def _guarded(self, kind: str, work: Callable[[Message], Awaitable[str]]) -> Handler:
        async def handle(message: Message) -> None:
            started = time.perf_counter()
            extra: dict[str, object] = {
                "message_id": message.message_id,
                "tenant_id": message.tenant_id,
                "kind": kind,
            }
            outcome = "error"
            try:
                outcome = await work(message)
            except Skip as exc:
                outcome = "skipped"
                self.log.warning("message skipped: %s", exc, extra=extra)
            except Exception as exc:
                translated = failures.translate(exc, self.log, extra)
                outcome = "poison" if isinstance(translated, Poison) else "retry"
                if translated is exc:
                    raise
                raise translated from exc
            finally:
                HANDLED.labels(kind, outcome).inc()
                HANDLER_SECONDS.labels(kind).observe(time.perf_counter() - started)

        return handle

    async def _observe(
        self, trigger: Message, mb: Mailbox, seen: Seen, source: str, round_id: str = ""
    ) -> None:
        # Same event, same version -> same id: a re-run's observation is dropped downstream.
        # A full resync names its window (`round_id`): a re-run of it still collapses, but the
        # next window's (the daily roll, a new policy) reaches the translator even for an
        # unchanged event, so an exploded series brings in the occurrences entering the window.
        message_id = deterministic_id(
            "observed.graph",
            mb.link.id,
            seen.source_id,
            seen.version or "",
            str(seen.deleted),
            *((round_id,) if round_id else ()),
        )
        observed = ObservedGraph(
            **trigger.caused(message_id=message_id),
            side=Side.GRAPH,
            user_link_id=mb.link.id,
            source_id=seen.source_id,
            ical_uid=seen.ical_uid,
            version=seen.version,
            modified_at=seen.modified_at,
            deleted=seen.deleted,
            event=None if seen.deleted else seen.event,
            series_id=seen.series_id,
            is_organizer_copy=seen.is_organizer_copy,
            kakehashi_tag=seen.tag,
        )
        await self.ctx.bus.publish(observed)
        OBSERVED.labels(source, str(seen.deleted).lower()).inc()

    # ------------------------------------------------------------------ hints
    async def on_hint(self, message: Message) -> str:
        if not isinstance(message, GraphHint):
            raise Poison(f"not a GraphHint: {message.KIND}")
        mb = await self.resolver.for_graph_user(message.tenant_id, message.user_id)
        try:
            seen = await read(mb, message.event_id)
        except NotFound as exc:  # the mailbox itself (read() turns a missing event into gone)
            raise Skip(f"mailbox {mb.user} is missing in Microsoft 365: {exc}") from exc
        for one in seen:
            await self._observe(message, mb, one, "hint")
        return "ok"

    # ------------------------------------------------------------------ commands
    async def on_command(self, message: Message) -> str:
        if not isinstance(message, SyncCommand):
            raise Poison(f"not a SyncCommand: {message.KIND}")
        if message.side != Side.GRAPH:
            raise Poison(f"a {message.side.value} command on the Graph queue")
        try:
            mb = await self.resolver.for_link(message.tenant_id, message.user_link_id)
        except Skip as exc:
            # The translator waits for a result; tell it the write cannot happen.
            await self._result(message, write.Outcome(CommandOutcome.FAILED, error=str(exc)))
            raise
        try:
            outcome = await self._execute(mb, message)
        except write.InvalidCommand as exc:
            await self._result(message, write.Outcome(CommandOutcome.FAILED, error=str(exc)))
            raise Poison(str(exc)) from exc
        await self._result(message, outcome)
        return outcome.outcome.value

    @staticmethod
    async def _execute(mb: Mailbox, cmd: SyncCommand) -> write.Outcome:
        if cmd.op == CommandOp.CREATE:
            return await write.create(mb, cmd)
        if cmd.op == CommandOp.UPDATE:
            return await write.update(mb, cmd)
        if cmd.op == CommandOp.DELETE:
            return await write.delete(mb, cmd)
        if cmd.op == CommandOp.RESPOND:
            return await write.respond(mb, cmd)
        return await teams.teams_meeting(mb, cmd)

    async def _result(self, cmd: SyncCommand, outcome: write.Outcome) -> None:
        seen = outcome.seen
        result = CommandResult(
            **cmd.caused(message_id=deterministic_id("result.graph", cmd.message_id)),
            side=Side.GRAPH,
            op=cmd.op,
            user_link_id=cmd.user_link_id,
            mapping_id=cmd.mapping_id,
            command_id=cmd.message_id,
            outcome=outcome.outcome,
            target_id=outcome.target_id,
            ical_uid=seen.ical_uid if seen else None,
            new_version=seen.version if seen else None,
            event=seen.event if seen else None,
            join_url=outcome.join_url,
            error=outcome.error,
        )
        await self.ctx.bus.publish(result)

    # ------------------------------------------------------------------ requests
    async def on_request(self, message: Message) -> str:
        if not isinstance(message, ResyncRequest):
            raise Poison(f"not a ResyncRequest: {message.KIND}")
        if message.side != Side.GRAPH:
            raise Poison(f"a {message.side.value} request on the Graph queue")
        mb = await self.resolver.for_link(message.tenant_id, message.user_link_id)

        async def publish(seen: Seen, round_key: str) -> None:
            await self._observe(message, mb, seen, "resync", round_id=round_key)

        count = await resync(mb, self.ctx.store, publish)
        self.log.info(
            "resync done",
            extra={"user_link_id": mb.link.id, "observations": count, "reason": message.reason},
        )
        return "ok"

    def handlers(self) -> dict[str, Handler]:
        return {
            routing.GRAPH_CONNECTOR_HINTS: self._guarded("hint", self.on_hint),
            routing.GRAPH_CONNECTOR_COMMANDS: self._guarded("command", self.on_command),
            routing.GRAPH_CONNECTOR_REQUESTS: self._guarded("resync", self.on_request),
        }


def make_handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """Queue name (from kakehashi.contracts.routing) -> handler."""
    return GraphConnector(ctx).handlers()
