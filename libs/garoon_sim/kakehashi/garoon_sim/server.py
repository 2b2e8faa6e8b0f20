"""The aiohttp application (front Basic auth, faults, request log) and the test server."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

from . import control, rest, soap
from .errors import GaroonError
from .faults import FaultRule
from .rest import SIM_KEY, SOAP_ACTION_KEY, USER_KEY
from .simulator import GaroonSimulator
from .soap_xml import fault as soap_fault
from .soap_xml import parse_envelope

PREFIX = "/g"  # the cloud layout: REST at /g/api/v1/, SOAP at /g/cbpapi/{app}/api.csp
BASIC_KEY: web.AppKey[tuple[str, str] | None] = web.AppKey("garoon_basic_auth", tuple)
_FAULT_CODES = {429: "GRN_REST_API_00104", 500: "PHP00099"}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _basic_ok(request: web.Request, expected: tuple[str, str]) -> bool:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:]).decode("utf-8")
    except ValueError:
        return False
    return given == f"{expected[0]}:{expected[1]}"


def _endpoint(request: web.Request) -> str:
    action = request.get(SOAP_ACTION_KEY)
    if action:
        return f"SOAP {action}"
    route = request.match_info.route
    canonical = route.resource.canonical if route.resource is not None else request.path
    return f"{request.method} {canonical.removeprefix(PREFIX)}"


async def _soap_action(request: web.Request) -> str | None:
    if "/cbpapi/" not in request.path:
        return None
    try:
        return parse_envelope(await request.read()).action
    except GaroonError:
        return None


def _fault_response(rule: FaultRule, is_soap: bool) -> web.Response:
    status = rule.status or 500
    err = GaroonError(
        status, _FAULT_CODES.get(status, "GRN_SIM_FAULT"), "The request failed.", "Injected fault."
    )
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    if is_soap:
        return web.Response(
            body=soap_fault(err),
            status=status,
            headers=headers,
            content_type="application/soap+xml",
        )
    return web.json_response(err.rest_body(), status=status, headers=headers)


def _routing_error(status: int) -> web.Response:
    if status == 405:
        err = GaroonError(
            405, "GRN_REST_API_00102", "Invalid input.", "HTTP method is not supported."
        )
    else:
        err = GaroonError(400, "GRN_REST_API_00101", "Invalid input.", "The URI path is not found.")
    return web.json_response(err.rest_body(), status=err.status)


@web.middleware
async def garoon_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(PREFIX + "/"):
        return await handler(request)  # the control API is not part of Garoon
    sim = request.app[SIM_KEY]
    expected = request.app[BASIC_KEY]
    if expected is not None and not _basic_ok(request, expected):
        # The web server in front answers, not Garoon: plain 401 with a challenge.
        sim.log.record("BASIC_AUTH", request.method, request.path, 401, None)
        return web.Response(
            status=401,
            text="401 Authorization Required",
            headers={"WWW-Authenticate": 'Basic realm="Garoon"'},
        )
    is_soap = "/cbpapi/" in request.path
    action = await _soap_action(request) if is_soap else None
    if action:
        request[SOAP_ACTION_KEY] = action
    relpath = request.path.removeprefix(PREFIX)
    for rule in sim.faults:
        if rule.matches(request.method, relpath, action):
            if rule.count is not None:
                rule.count -= 1
            if rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)  # injected latency
            if rule.status is not None:
                resp = _fault_response(rule, is_soap)
                sim.log.record(_endpoint(request), request.method, request.path, resp.status, None)
                return resp
            break
    try:
        response = await handler(request)
    except GaroonError as err:
        response = web.Response(
            text=json.dumps(err.rest_body(), ensure_ascii=False),
            status=err.status,
            content_type="application/json",
        )
    except web.HTTPException as exc:
        if exc.status not in (404, 405):
            raise
        response = _routing_error(exc.status)
    sim.log.record(
        _endpoint(request),
        request.method,
        request.path,
        response.status,
        request.get(USER_KEY),
    )
    return response


def create_app(
    sim: GaroonSimulator, *, basic_auth: tuple[str, str] | None = None
) -> web.Application:
    app = web.Application(middlewares=[garoon_middleware])
    app[SIM_KEY] = sim
    app[BASIC_KEY] = basic_auth
    rest.add_routes(app, PREFIX)
    soap.add_routes(app, PREFIX)
    control.add_routes(app)
    return app


class GaroonSimServer:
    """Runs the simulator on localhost; `async with GaroonSimServer() as srv: srv.base_url`."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        sim: GaroonSimulator | None = None,
        basic_auth: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.sim = sim if sim is not None else GaroonSimulator()
        self._basic_auth = basic_auth
        self._runner: web.AppRunner | None = None

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}{PREFIX}"

    async def start(self) -> None:
        self._runner = web.AppRunner(
            create_app(self.sim, basic_auth=self._basic_auth), access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        for addr in self._runner.addresses:
            if isinstance(addr, tuple):
                self.port = int(addr[1])
                break

    async def stop(self) -> None:
        self.sim.hints.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> GaroonSimServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
