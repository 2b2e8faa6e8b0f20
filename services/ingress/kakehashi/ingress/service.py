"""The webhook ingress as a Service: HTTP routes only; it publishes, it consumes nothing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import ClassVar

from aiohttp import web

from kakehashi.contracts import routing
from kakehashi.ingress import openapi
from kakehashi.ingress.config import IngressConfig
from kakehashi.ingress.garoon_webhook import GaroonWebhook
from kakehashi.ingress.graph_webhook import GraphWebhook
from kakehashi.ingress.metrics import LATENCY, REQUESTS
from kakehashi.runtime import Service, ServiceContext, queue_spec

GRAPH_PATH = "/webhooks/graph"
GAROON_PATH = "/webhooks/garoon"
OPENAPI_PATH = "/openapi.json"
# Queues our messages go to; declared at start so hints published before their consumer first
# ran are kept rather than refused as unroutable.
TARGET_QUEUES = (
    routing.GRAPH_CONNECTOR_HINTS,
    routing.GAROON_CONNECTOR_HINTS,
    routing.RENEWAL_LIFECYCLE,
)

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class IngressService(Service):
    name: ClassVar[str] = "ingress"

    def __init__(self, config: IngressConfig | None = None) -> None:
        self.config = config or IngressConfig()

    def routes(self, ctx: ServiceContext) -> list[web.RouteDef]:
        graph = GraphWebhook(ctx, self.config)
        garoon = GaroonWebhook(ctx, self.config)
        return [
            web.post(GRAPH_PATH, _measured(GRAPH_PATH, graph.handle)),
            web.post(GAROON_PATH, _measured(GAROON_PATH, garoon.handle)),
            web.get(OPENAPI_PATH, openapi.serve),
        ]

    async def start(self, ctx: ServiceContext) -> None:
        try:
            await ctx.bus.declare([queue_spec(name) for name in TARGET_QUEUES])
        except Exception as exc:
            # The consumer owns its queue; if it declared it differently, its declaration
            # stands and ours is not needed. Publishing then works once the consumer is up.
            ctx.log.warning(
                "could not declare the target queues", extra={"error": type(exc).__name__}
            )


def _measured(route: str, handler: _Handler) -> _Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        finally:
            LATENCY.labels(route).observe(time.perf_counter() - started)
            REQUESTS.labels(route, str(status)).inc()

    return wrapped
