"""Prometheus metrics owned by the runtime (process metrics come with prometheus_client)."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, generate_latest

SERVICE_READY = Gauge(
    "kakehashi_service_ready",
    "1 while the service is connected to bus and store and taking work, else 0",
    ["service"],
)


async def metrics_endpoint(request: web.Request) -> web.Response:
    body = generate_latest(REGISTRY)
    # CONTENT_TYPE_LATEST carries a charset, which aiohttp wants in its own argument.
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
