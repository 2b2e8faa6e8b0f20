"""The Garoon connector as a Service: its queues and handlers, wired by the runtime host, and
the reconciliation sweep as a background task.

`KAKEHASHI_GAROON_SWEEP_SECONDS` (default 300) sets how often each linked user is swept.
"""

from __future__ import annotations

import os
from typing import ClassVar

from kakehashi.bus.api import Handler, QueueSpec
from kakehashi.garoon_connector.handlers import Connector
from kakehashi.runtime import Service, ServiceContext, queue_spec

SWEEP_ENV = "KAKEHASHI_GAROON_SWEEP_SECONDS"


class GaroonConnectorService(Service):
    name: ClassVar[str] = "garoon_connector"

    def __init__(self) -> None:
        self._parts: dict[int, Connector] = {}
        self._running: list[Connector] = []

    def connector(self, ctx: ServiceContext) -> Connector:
        """The connector for this context (built on first use; tests call it directly)."""
        key = id(ctx)
        if key not in self._parts:
            interval = float(os.environ.get(SWEEP_ENV, "300"))
            self._parts[key] = Connector.build(ctx, sweep_interval=interval)
        return self._parts[key]

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        handlers = self.connector(ctx).handlers()
        return [(queue_spec(queue), handler) for queue, handler in handlers.items()]

    async def start(self, ctx: ServiceContext) -> None:
        connector = self.connector(ctx)
        connector.sweeper.start()
        self._running.append(connector)

    async def stop(self) -> None:
        running, self._running = self._running, []
        for connector in running:
            await connector.sweeper.stop()
