"""aiohttp application: request log, auth, faults and throttling around every Graph call."""

from __future__ import annotations

import asyncio
import re
import ssl
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .errors import REQUEST_ID_KEY, GraphError, error_response
from .identity import TokenClaims
from .odata import parse_prefer
from .sim import GraphSimulator

SIM_KEY = web.AppKey("graph_sim", GraphSimulator)
LOOPBACK_SSL_KEY = web.AppKey("graph_sim_loopback_ssl", ssl.SSLContext)
CLAIMS_KEY = web.RequestKey("graph_sim_claims", TokenClaims)
_MAILBOX = re.compile(r"^/v1\.0/users/([^/]+)(/.*)?$", re.IGNORECASE)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def sim_of(request: web.Request) -> GraphSimulator:
    return request.app[SIM_KEY]


def claims_of(request: web.Request) -> TokenClaims:
    return request[CLAIMS_KEY]


def require_roles(request: web.Request, *roles: str, directory: bool = False) -> None:
    """403 unless the token carries one of `roles` (Outlook and directory use different codes)."""
    if set(claims_of(request).roles) & set(roles):
        return
    if directory:
        raise GraphError(
            403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
        )
    raise GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def _endpoint(request: web.Request) -> str:
    info = request.match_info
    route = info.route.resource.canonical if info.route.resource is not None else request.path
    return route


async def _apply_faults(sim: GraphSimulator, request: web.Request) -> None:
    for fault in list(sim.faults.values()):
        if fault.method and fault.method != request.method:
            continue
        if not re.search(fault.pattern, request.path_qs):
            continue
        if fault.remaining is not None:
            if fault.remaining <= 0:
                continue
            fault.remaining -= 1
        if fault.latency_ms:
            await asyncio.sleep(fault.latency_ms / 1000)
        if fault.status:
            codes = {
                503: "ServiceUnavailable",
                504: "GatewayTimeout",
                429: "TooManyRequests",
                500: "InternalServerError",
            }
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            raise GraphError(
                fault.status,
                codes.get(fault.status, "UnknownError"),
                "Injected fault.",
                headers=headers,
            )


@web.middleware
async def graph_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sim = sim_of(request)
    if request.path.startswith("/_sim/"):
        return await handler(request)
    request_id = str(uuid.uuid4())
    request[REQUEST_ID_KEY] = request_id
    prefer = parse_prefer(request)
    entry: dict[str, Any] = {
        "time": time.time(),
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "endpoint": _endpoint(request),
        "immutableId": prefer.immutable_ids,
        "prefer": request.headers.getall("Prefer", []),
        "clientRequestId": request.headers.get("client-request-id"),
        "batch": request.headers.get("X-Sim-Batch-Item") is not None,
        "app": None,
        "mailbox": None,
        "status": None,
    }
    try:
        if request.path.lower().startswith("/v1.0/"):
            response = await _graph_call(sim, request, handler, entry)
        else:
            response = await handler(request)
    except GraphError as err:
        response = error_response(err, request)
    except web.HTTPNotFound:
        response = error_response(
            GraphError(
                400,
                "BadRequest",
                f"Resource not found for the segment '{request.path.rsplit('/', 1)[-1]}'.",
            ),
            request,
        )
    except web.HTTPMethodNotAllowed:
        response = error_response(
            GraphError(
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            ),
            request,
        )
    entry["status"] = response.status
    sim.request_log.append(entry)
    response.headers["request-id"] = request_id
    if "client-request-id" in request.headers:
        response.headers["client-request-id"] = request.headers["client-request-id"]
    return response


async def _graph_call(
    sim: GraphSimulator, request: web.Request, handler: Handler, entry: dict[str, Any]
) -> web.StreamResponse:
    claims = sim.tokens.validate(request.headers.get("Authorization"))
    if sim.find_tenant(claims.tenant_id) is None:
        raise GraphError(
            401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."
        )
    request[CLAIMS_KEY] = claims
    entry["app"] = claims.app_id
    mailbox: str | None = None
    match = _MAILBOX.match(request.path)
    if match:
        user = sim.find_user(claims.tenant_id, match.group(1))
        mailbox = user.id if user else match.group(1).lower()
        entry["mailbox"] = mailbox
    await _apply_faults(sim, request)
    if mailbox is None:
        return await handler(request)
    sim.throttle.enter(claims.app_id, mailbox)
    try:
        if sim.switches.latency_ms:
            await asyncio.sleep(sim.switches.latency_ms / 1000)
        return await handler(request)
    finally:
        sim.throttle.leave(claims.app_id, mailbox)


def create_app(sim: GraphSimulator) -> web.Application:
    """The whole simulator as one aiohttp application (identity, Graph v1.0, $batch, /_sim)."""
    from . import control, routes_batch, routes_events, routes_identity, routes_misc, routes_subs

    app = web.Application(middlewares=[graph_middleware], client_max_size=8 * 1024 * 1024)
    app[SIM_KEY] = sim
    routes_identity.setup(app)
    routes_events.setup(app)
    routes_subs.setup(app)
    routes_misc.setup(app)
    routes_batch.setup(app)
    control.setup(app)

    async def _close(_: web.Application) -> None:
        await sim.notifier.aclose()

    app.on_cleanup.append(_close)
    return app


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise GraphError(
            400,
            "BadRequest",
            "Unable to read JSON request payload. Please ensure Content-Type header is set and "
            "payload is of valid JSON format.",
        ) from None
    if not isinstance(body, dict):
        raise GraphError(400, "BadRequest", "Unable to read JSON request payload.")
    return body


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response(data, status=status, headers=headers)
