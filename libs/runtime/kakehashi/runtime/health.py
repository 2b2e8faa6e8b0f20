"""The HTTP endpoints every service process serves: /healthz, /readyz, /metrics."""

from __future__ import annotations

from typing import Protocol

from aiohttp import web

from kakehashi.runtime.metrics import metrics_endpoint


class Readiness(Protocol):
    @property
    def is_ready(self) -> bool: ...

    @property
    def not_ready_reason(self) -> str: ...


READINESS = web.AppKey("kakehashi.readiness", Readiness)


async def healthz(request: web.Request) -> web.Response:
    """The process is alive and its event loop answers; says nothing about dependencies."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    state = request.app[READINESS]
    if state.is_ready:
        return web.json_response({"status": "ready"})
    return web.json_response({"status": "not ready", "reason": state.not_ready_reason}, status=503)


def health_routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", healthz),
        web.get("/readyz", readyz),
        web.get("/metrics", metrics_endpoint),
    ]
