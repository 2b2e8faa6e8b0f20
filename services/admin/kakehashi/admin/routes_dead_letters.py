"""Dead letters per work queue: what is parked, and putting it back once the cause is fixed.

The admin service only inspects the dead-letter queues (basic.get, returned at once) and
publishes copies; it never consumes a work queue or declares topology of its own.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from kakehashi.admin.http import PREFIX, ApiError, parse_model, read_body
from kakehashi.bus import PublishFailed, QueueSpec, Unroutable
from kakehashi.contracts.routing import BINDINGS
from kakehashi.runtime import ServiceContext, queue_spec

D = PREFIX + "/dead-letters"
SAMPLE_DEFAULT = 10
SAMPLE_MAX = 100


class ReplayInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: int | None = Field(default=None, ge=1)  # None: every letter parked now


class DeadLetterRoutes:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def routes(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", D, self.list_all),
            ("POST", D + "/{queue}/replay", self.replay),
        ]

    def _bus_ready(self) -> None:
        if not self.ctx.bus.is_ready:
            raise ApiError(503, "bus_unavailable", "the message broker is not connected")

    async def list_all(self, request: web.Request) -> web.Response:
        self._bus_ready()
        try:
            limit = int(request.query.get("limit", SAMPLE_DEFAULT))
        except ValueError as exc:
            raise ApiError(400, "invalid", "limit must be a number") from exc
        limit = max(0, min(limit, SAMPLE_MAX))
        queues, total = [], 0
        for name in sorted(BINDINGS):
            report = await self.ctx.bus.list_dead_letters(queue_spec(name), limit=limit)
            queues.append(
                {
                    "queue": report.queue,
                    "count": report.count,
                    "sample": [dataclasses.asdict(s) for s in report.sample],
                }
            )
            total += report.count
        return web.json_response({"total": total, "queues": queues})

    async def replay(self, request: web.Request) -> web.Response:
        spec = _spec(request.match_info["queue"])
        raw = await read_body(request)
        try:
            data = json.loads(raw) if raw.strip() else {}
        except ValueError as exc:
            raise ApiError(400, "bad_json", f"the body is not JSON: {exc}") from exc
        body = parse_model(ReplayInput, data)
        self._bus_ready()
        try:
            replayed = await self.ctx.bus.replay_dead_letters(spec, limit=body.limit)
        except Unroutable as exc:
            raise ApiError(
                409,
                "queue_missing",
                f"work queue {spec.name!r} does not exist yet: start its service first",
            ) from exc
        except PublishFailed as exc:
            raise ApiError(503, "bus_unavailable", f"the broker did not confirm: {exc}") from exc
        self.ctx.log.info(
            "dead letters replayed by admin", extra={"queue": spec.name, "count": replayed}
        )
        return web.json_response({"queue": spec.name, "replayed": replayed})


def _spec(name: str) -> QueueSpec:
    if name not in BINDINGS:
        known = ", ".join(sorted(BINDINGS))
        raise ApiError(404, "queue_not_found", f"no work queue {name!r}; known: {known}")
    return queue_spec(name)
