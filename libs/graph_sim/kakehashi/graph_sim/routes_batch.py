"""JSON batching: each inner request runs the full pipeline (auth, throttling) on its own."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from aiohttp import web

from .app import LOOPBACK_SSL_KEY, json_response, read_json
from .errors import GraphError

MAX_REQUESTS = 20
OUTLOOK_PARALLEL = 4  # Graph forwards at most 4 unordered inner requests at a time to Outlook


async def batch(request: web.Request) -> web.Response:
    body = await read_json(request)
    items = body.get("requests")
    if not isinstance(items, list) or not items:
        raise GraphError(400, "BadRequest", "Invalid batch payload format.")
    if len(items) > MAX_REQUESTS:
        raise GraphError(
            400,
            "BadRequest",
            f"The number of batch requests exceeds the maximum of {MAX_REQUESTS}.",
        )
    ids = [str(i.get("id")) for i in items if isinstance(i, dict)]
    if len(ids) != len(items) or len(set(ids)) != len(ids):
        raise GraphError(400, "BadRequest", "Batch request ids must be unique.")
    for item in items:
        if not item.get("method") or not item.get("url"):
            raise GraphError(400, "BadRequest", "Each batch request needs id, method and url.")
        if item.get("body") is not None and not any(
            k.lower() == "content-type" for k in (item.get("headers") or {})
        ):
            raise GraphError(
                400, "BadRequest", "Content-Type header is required for a request with a body."
            )
        for dep in item.get("dependsOn") or []:
            if str(dep) not in ids:
                raise GraphError(400, "BadRequest", f"Request depends on unknown id '{dep}'.")
    ssl_ctx = request.app.get(LOOPBACK_SSL_KEY)
    base = f"{request.scheme}://{request.host}/v1.0/"
    # Only the credentials carry over; Prefer etc. must be set on each inner request, as in Graph.
    outer_headers = {k: v for k, v in request.headers.items() if k.lower() == "authorization"}
    results: dict[str, dict[str, Any]] = {}
    sem = asyncio.Semaphore(OUTLOOK_PARALLEL)
    done: dict[str, asyncio.Event] = {i: asyncio.Event() for i in ids}
    connector = aiohttp.TCPConnector(ssl=ssl_ctx) if ssl_ctx else aiohttp.TCPConnector()
    async with aiohttp.ClientSession(connector=connector) as session:

        async def run(item: dict[str, Any]) -> None:
            item_id = str(item["id"])
            try:
                deps = [str(d) for d in item.get("dependsOn") or []]
                for dep in deps:
                    await done[dep].wait()
                if any(not 200 <= results[d]["status"] < 300 for d in deps):
                    results[item_id] = {
                        "id": item_id,
                        "status": 424,
                        "headers": {},
                        "body": {
                            "error": {"code": "FailedDependency", "message": "Failed dependency."}
                        },
                    }
                    return
                async with sem:
                    results[item_id] = await _inner(session, base, outer_headers, item)
            finally:
                done[item_id].set()

        await asyncio.gather(*(run(i) for i in items))
    return json_response({"responses": [results[i] for i in ids]})


async def _inner(
    session: aiohttp.ClientSession, base: str, outer: dict[str, str], item: dict[str, Any]
) -> dict[str, Any]:
    headers = dict(outer)
    headers.update({str(k): str(v) for k, v in (item.get("headers") or {}).items()})
    headers["X-Sim-Batch-Item"] = str(item["id"])
    data = None
    if item.get("body") is not None:
        data = json.dumps(item["body"]).encode()
    url = base + str(item["url"]).lstrip("/")
    async with session.request(
        str(item["method"]).upper(), url, headers=headers, data=data
    ) as resp:
        raw = await resp.read()
        out_headers = {
            k: v
            for k, v in resp.headers.items()
            if k.lower() in {"retry-after", "content-type", "location", "preference-applied"}
        }
        parsed: Any = None
        if raw:
            try:
                parsed = json.loads(raw)
            except ValueError:
                parsed = raw.decode(errors="replace")
        result: dict[str, Any] = {
            "id": str(item["id"]),
            "status": resp.status,
            "headers": out_headers,
        }
        if parsed is not None:
            result["body"] = parsed
        return result


def setup(app: web.Application) -> None:
    app.router.add_post("/v1.0/$batch", batch)
