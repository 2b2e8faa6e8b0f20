"""The Graph connector as a Service: its queues and handlers, wired by the runtime host."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from kakehashi.bus.api import Handler, QueueSpec
from kakehashi.graph_connector.handlers import GraphConnector
from kakehashi.runtime import Service, ServiceContext, queue_spec


class GraphConnectorService(Service):
    name: ClassVar[str] = "graph_connector"

    def __init__(self) -> None:
        self.connector: GraphConnector | None = None

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        self.connector = GraphConnector(ctx)
        # Eight attempts: the last tiers wait minutes (kakehashi.runtime.queues).
        return [
            (dataclasses.replace(queue_spec(queue), max_attempts=8), h)
            for queue, h in self.connector.handlers().items()
        ]

    async def stop(self) -> None:
        if self.connector is not None:
            self.connector.close()
