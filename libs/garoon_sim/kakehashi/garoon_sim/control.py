"""Control API under `/_sim/` (JSON): seeding, switches, faults, logs, "as a person" actions."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .errors import GaroonError
from .faults import FaultRule
from .rest import sim_of
from .rest_render import render_event
from .simulator import raw_event


def _reply(data: Any, status: int = 200) -> web.Response:
    # Readable Japanese in the control API instead of \u escapes.
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except json.JSONDecodeError as exc:
        raise web.HTTPBadRequest(text=f"invalid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="expected a JSON object")
    return data


def _items(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = data.get(key)
    return list(items) if isinstance(items, list) else [data]


async def reset(request: web.Request) -> web.Response:
    sim_of(request).reset()
    return _reply({"ok": True})


async def seed_users(request: web.Request) -> web.Response:
    sim = sim_of(request)
    out = []
    for u in _items(await _json_body(request), "users"):
        user = sim.add_user(
            str(u["code"]),
            u.get("name"),
            str(u.get("password", "password")),
            str(u.get("email", "")),
            id=int(u["id"]) if u.get("id") is not None else None,
        )
        out.append({"id": str(user.id), "code": user.code, "name": user.name, "email": user.email})
    return _reply({"users": out}, status=201)


async def seed_organizations(request: web.Request) -> web.Response:
    sim = sim_of(request)
    out = []
    for o in _items(await _json_body(request), "organizations"):
        org = sim.add_organization(
            str(o["code"]),
            o.get("name"),
            list(o.get("members", [])),
            int(o["parentId"]) if o.get("parentId") is not None else None,
            id=int(o["id"]) if o.get("id") is not None else None,
        )
        out.append(
            {
                "id": str(org.id),
                "code": org.code,
                "name": org.name,
                "members": [str(m) for m in org.members],
            }
        )
    return _reply({"organizations": out}, status=201)


async def seed_facilities(request: web.Request) -> web.Response:
    sim = sim_of(request)
    out = []
    for f in _items(await _json_body(request), "facilities"):
        fac = sim.add_facility(
            str(f["code"]),
            f.get("name"),
            str(f.get("notes", "")),
            id=int(f["id"]) if f.get("id") is not None else None,
        )
        out.append({"id": str(fac.id), "code": fac.code, "name": fac.name})
    return _reply({"facilities": out}, status=201)


async def menus(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if request.method == "PUT":
        sim.set_menus([str(m) for m in (await _json_body(request)).get("menus", [])])
    return _reply({"menus": sim.menus})


async def hint_proxy(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if request.method == "PUT":
        data = await _json_body(request)
        sim.hints.configure(
            data.get("url"), {str(k): str(v) for k, v in (data.get("headers") or {}).items()}
        )
    return _reply({"url": sim.hints.proxy.url, "headers": sim.hints.proxy.headers})


async def hints(request: web.Request) -> web.Response:
    box = sim_of(request).hints
    if request.method == "DELETE":
        box.emitted.clear()
        box.deliveries.clear()
    return _reply({"emitted": box.emitted, "deliveries": box.deliveries})


async def settings(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if request.method == "PATCH":
        try:
            sim.settings.update(await _json_body(request))
        except KeyError as exc:
            raise web.HTTPBadRequest(text=f"unknown setting {exc}") from exc
    return _reply(sim.settings.as_dict())


async def faults(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if request.method == "POST":
        sim.add_fault(FaultRule.from_json(await _json_body(request)))
    elif request.method == "DELETE":
        sim.faults.clear()
    return _reply({"faults": [f.to_json() for f in sim.faults]})


async def requests_log(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if request.method == "DELETE":
        sim.log.clear()
    return _reply({"requests": sim.log.entries, "counts": dict(sim.log.counts)})


async def events(request: web.Request) -> web.Response:
    sim = sim_of(request)
    if "id" in request.match_info:
        ev = (
            sim.events.get(int(request.match_info["id"]))
            if request.match_info["id"].isdigit()
            else None
        )
        if ev is None:
            raise web.HTTPNotFound(text="no such event")
        return _reply(raw_event(ev))
    return _reply({"events": sim.raw_events()})


async def person(request: web.Request) -> web.Response:
    sim = sim_of(request)
    who = request.match_info["who"]
    action = request.match_info["action"]
    data = await _json_body(request)
    try:
        if action == "create":
            ev = sim.person_create(who, data)
            return _reply(render_event(sim, ev), status=201)
        event_id = data.get("eventId")
        if event_id is None:
            raise web.HTTPBadRequest(text="eventId is required")
        rng = str(data.get("range", "ALL"))
        day = data.get("date")
        if action == "edit":
            ev = sim.person_edit(
                who, event_id, dict(data.get("changes", {})), rng, day, bool(data.get("quick"))
            )
        elif action == "delete":
            sim.person_delete(who, event_id, rng, day)
            return _reply({"ok": True})
        elif action == "attend":
            ev = sim.person_attend(who, event_id, rng, day)
        elif action == "leave":
            ev = sim.person_leave(who, event_id, rng, day)
        elif action == "respond":
            status, comment = str(data.get("status", "")), str(data.get("comment") or "")
            ev = sim.person_respond(who, event_id, status, comment)
        elif action == "teams":
            sim.person_teams(who, event_id, [str(i) for i in data.get("invitees", [])])
            return _reply({"ok": True})
        else:
            raise web.HTTPNotFound(text=f"unknown action {action}")
    except GaroonError as err:
        return _reply(err.rest_body(), status=err.status)
    return _reply(render_event(sim, ev))


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/_sim/reset", reset)
    r.add_post("/_sim/users", seed_users)
    r.add_post("/_sim/organizations", seed_organizations)
    r.add_post("/_sim/facilities", seed_facilities)
    r.add_route("GET", "/_sim/menus", menus)
    r.add_route("PUT", "/_sim/menus", menus)
    r.add_route("GET", "/_sim/hint-proxy", hint_proxy)
    r.add_route("PUT", "/_sim/hint-proxy", hint_proxy)
    r.add_route("GET", "/_sim/hints", hints)
    r.add_route("DELETE", "/_sim/hints", hints)
    r.add_route("GET", "/_sim/settings", settings)
    r.add_route("PATCH", "/_sim/settings", settings)
    for method in ("GET", "POST", "DELETE"):
        r.add_route(method, "/_sim/faults", faults)
    r.add_route("GET", "/_sim/requests", requests_log)
    r.add_route("DELETE", "/_sim/requests", requests_log)
    r.add_get("/_sim/events", events)
    r.add_get("/_sim/events/{id}", events)
    r.add_post("/_sim/person/{who}/{action}", person)
