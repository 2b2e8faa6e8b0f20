"""Control API under /_sim/ (JSON): seeding, switches, faults, logs, outbox, person actions."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from .app import read_json, sim_of
from .errors import GraphError, error_response
from .sim import GraphSimulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _guard(fn: Callable[[web.Request, GraphSimulator], Awaitable[Any]]) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            result = await fn(request, sim_of(request))
        except GraphError as err:
            return error_response(err, request)
        except KeyError as exc:
            return web.json_response({"error": f"not found: {exc}"}, status=404)
        except (ValueError, TypeError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        if isinstance(result, web.StreamResponse):
            return result
        if result is None:
            return web.Response(status=204)
        return web.json_response(result, dumps=_dumps)

    return wrapped


def _dumps(value: Any) -> str:
    import json

    return json.dumps(value, default=str)


def _when(raw: Any) -> dt.datetime | None:
    if raw in (None, ""):
        return None
    value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _app_dict(app: Any) -> dict[str, Any]:
    data = dataclasses.asdict(app)
    data["secret_expires"] = app.secret_expires.isoformat() if app.secret_expires else None
    return data


async def reset(request: web.Request, sim: GraphSimulator) -> None:
    sim.reset()


async def seed(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.load_seed(await read_json(request))


async def add_tenant(request: web.Request, sim: GraphSimulator) -> Any:
    body = await read_json(request)
    tenant = sim.add_tenant(
        body.get("domain", "contoso.example"),
        tenant_id=body.get("id"),
        display_name=body.get("displayName", ""),
    )
    return dataclasses.asdict(tenant)


async def add_app(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    app = sim.add_app(
        b["tenantId"],
        client_id=b.get("clientId"),
        secret=b.get("secret", "sim-secret"),
        secret_expires=_when(b.get("secretExpires")),
        roles=b.get("roles"),
        consented=bool(b.get("consented", True)),
        certificates=b.get("certificates"),
        display_name=b.get("displayName", "Kakehashi"),
    )
    return _app_dict(app)


async def patch_app(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    tenant = sim.find_tenant(request.match_info["tenant"])
    if tenant is None:
        raise KeyError(request.match_info["tenant"])
    app = sim.apps[(tenant.id, request.match_info["client"])]
    if "secret" in b:
        app.secret = b["secret"]
    if "secretExpires" in b:
        app.secret_expires = _when(b["secretExpires"])
    if "roles" in b:
        app.roles = list(b["roles"])
    if "consented" in b:
        app.consented = bool(b["consented"])
    if "certificates" in b:
        app.certificates = list(b["certificates"])
    return _app_dict(app)


async def add_user(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    user = sim.add_user(
        b["tenantId"],
        b["userPrincipalName"],
        display_name=b.get("displayName"),
        mail=b.get("mail"),
        user_id=b.get("id"),
        time_zone=b.get("timeZone", "UTC"),
        teams_enabled=bool(b.get("teamsEnabled", True)),
    )
    return user.to_graph()


async def add_room(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    room = sim.add_room(
        b["tenantId"],
        b["emailAddress"],
        b.get("displayName", b["emailAddress"]),
        capacity=int(b.get("capacity", 10)),
        building=b.get("building"),
        floor_number=b.get("floorNumber"),
    )
    return room.to_graph()


async def get_switches(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.switches.to_dict()


async def patch_switches(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.set_switches(**(await read_json(request)))


async def add_fault(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    fault = sim.add_fault(
        b["pattern"],
        status=b.get("status"),
        method=b.get("method"),
        latency_ms=int(b.get("latencyMs", 0)),
        count=b.get("count"),
        retry_after=None if b.get("retryAfter") is None else str(b["retryAfter"]),
    )
    return dataclasses.asdict(fault)


async def list_faults(request: web.Request, sim: GraphSimulator) -> Any:
    return [dataclasses.asdict(f) for f in sim.faults.values()]


async def clear_faults(request: web.Request, sim: GraphSimulator) -> None:
    sim.clear_faults()


async def requests_log(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.request_log


async def clear_requests(request: web.Request, sim: GraphSimulator) -> None:
    sim.request_log.clear()
    sim.throttle.stats.max_concurrency.clear()
    sim.throttle.stats.throttled = 0


async def stats(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.stats()


async def outbox(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.outbox


async def clear_outbox(request: web.Request, sim: GraphSimulator) -> None:
    sim.outbox.clear()


async def person_create(request: web.Request, sim: GraphSimulator) -> Any:
    return web.json_response(
        sim.person_create(request.match_info["user"], await read_json(request)), status=201
    )


async def person_update(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.person_update(
        request.match_info["user"], request.match_info["event"], await read_json(request)
    )


async def person_delete(request: web.Request, sim: GraphSimulator) -> None:
    sim.person_delete(request.match_info["user"], request.match_info["event"])


async def person_respond(request: web.Request, sim: GraphSimulator) -> None:
    b = await read_json(request)
    sim.person_respond(
        request.match_info["user"],
        request.match_info["event"],
        request.match_info["action"],
        comment=b.get("comment"),
        send_response=bool(b.get("sendResponse", True)),
    )


async def mailbox(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.mailbox_events(request.match_info["user"])


async def expire_tokens(request: web.Request, sim: GraphSimulator) -> None:
    b = await read_json(request)
    sim.expire_tokens(b.get("tenantId"))


async def list_subscriptions(request: web.Request, sim: GraphSimulator) -> Any:
    return [dataclasses.asdict(s) for s in sim.live_subscriptions()]


async def lifecycle(request: web.Request, sim: GraphSimulator) -> Any:
    b = await read_json(request)
    sent = sim.fire_lifecycle(request.match_info["id"], str(b.get("lifecycleEvent", "")))
    return {"sent": sent}


async def notifications(request: web.Request, sim: GraphSimulator) -> Any:
    return sim.notifier.deliveries


async def reset_delta(request: web.Request, sim: GraphSimulator) -> None:
    sim.delta_states.clear()


def setup(app: web.Application) -> None:
    r = app.router
    routes: list[tuple[str, str, Callable[[web.Request, GraphSimulator], Awaitable[Any]]]] = [
        ("POST", "/_sim/reset", reset),
        ("POST", "/_sim/seed", seed),
        ("POST", "/_sim/tenants", add_tenant),
        ("POST", "/_sim/apps", add_app),
        ("PATCH", "/_sim/apps/{tenant}/{client}", patch_app),
        ("POST", "/_sim/users", add_user),
        ("POST", "/_sim/rooms", add_room),
        ("GET", "/_sim/switches", get_switches),
        ("PATCH", "/_sim/switches", patch_switches),
        ("GET", "/_sim/faults", list_faults),
        ("POST", "/_sim/faults", add_fault),
        ("DELETE", "/_sim/faults", clear_faults),
        ("GET", "/_sim/requests", requests_log),
        ("DELETE", "/_sim/requests", clear_requests),
        ("GET", "/_sim/stats", stats),
        ("GET", "/_sim/outbox", outbox),
        ("DELETE", "/_sim/outbox", clear_outbox),
        ("POST", "/_sim/people/{user}/events", person_create),
        ("PATCH", "/_sim/people/{user}/events/{event}", person_update),
        ("DELETE", "/_sim/people/{user}/events/{event}", person_delete),
        ("POST", "/_sim/people/{user}/events/{event}/{action}", person_respond),
        ("GET", "/_sim/mailboxes/{user}/events", mailbox),
        ("POST", "/_sim/tokens/expire", expire_tokens),
        ("GET", "/_sim/subscriptions", list_subscriptions),
        ("POST", "/_sim/subscriptions/{id}/lifecycle", lifecycle),
        ("GET", "/_sim/notifications", notifications),
        ("POST", "/_sim/delta/reset", reset_delta),
    ]
    for method, path, fn in routes:
        r.add_route(method, path, _guard(fn))
