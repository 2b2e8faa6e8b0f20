"""The Garoon connector's parts and its handlers, one per queue."""

from __future__ import annotations

from dataclasses import dataclass

from kakehashi.bus.api import Handler, Poison, Retry
from kakehashi.contracts import Message, routing
from kakehashi.contracts.messages import ResyncRequest, Side
from kakehashi.garoon_client import GaroonError
from kakehashi.garoon_connector.clients import ClientCache
from kakehashi.garoon_connector.errors import bus_error
from kakehashi.garoon_connector.hints import HintHandler
from kakehashi.garoon_connector.sweep import Sweeper
from kakehashi.garoon_connector.write import CommandHandler
from kakehashi.runtime import ServiceContext


@dataclass
class Connector:
    """Everything the connector runs, built once per ServiceContext."""

    cache: ClientCache
    hints: HintHandler
    commands: CommandHandler
    sweeper: Sweeper

    @classmethod
    def build(cls, ctx: ServiceContext, *, sweep_interval: float = 300.0) -> Connector:
        cache = ClientCache(ctx.store, ctx.http)
        sweeper = Sweeper(ctx.store, ctx.bus, cache, clock=ctx.clock, interval=sweep_interval)
        return cls(
            cache=cache,
            hints=HintHandler(ctx.store, ctx.bus, cache, wake_sweep=sweeper.wake),
            commands=CommandHandler(ctx.store, ctx.bus, cache, clock=ctx.clock),
            sweeper=sweeper,
        )

    async def on_request(self, message: Message) -> None:
        """ResyncRequest(side=garoon): a full sweep of that user, now."""
        if not isinstance(message, ResyncRequest) or message.side != Side.GAROON:
            raise Poison(f"not a Garoon resync request: {message.KIND}")
        link = await self.sweeper.store.user_links.get(message.user_link_id)
        if link is None or link.tenant_id != message.tenant_id:
            raise Poison(f"unknown user link {message.user_link_id}")
        if not link.enabled:
            return
        try:
            report = await self.sweeper.sweep_user(link, full=True, envelope=message.caused())
        except GaroonError as exc:
            raise bus_error(exc, tenant_id=message.tenant_id, what="resync") from exc
        if not report.ok:
            raise Retry(f"resync listing failed: {report.blocked}")

    def handlers(self) -> dict[str, Handler]:
        """Queue name (from kakehashi.contracts.routing) -> handler."""
        return {
            routing.GAROON_CONNECTOR_HINTS: self.hints,
            routing.GAROON_CONNECTOR_COMMANDS: self.commands,
            routing.GAROON_CONNECTOR_REQUESTS: self.on_request,
        }
