"""REST routes under `/g/api/v1/`."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from aiohttp import web

from .errors import (
    GaroonError,
    auth_malformed,
    auth_missing,
    bad_param,
    login_failed,
    no_permission,
)
from .model import User
from .rest_input import apply_rest_patch, event_from_rest, parse_rfc3339
from .rest_render import render_event, render_private_stub
from .simulator import GaroonSimulator

SIM_KEY: web.AppKey[GaroonSimulator] = web.AppKey("garoon_sim", GaroonSimulator)
USER_KEY: web.RequestKey[str] = web.RequestKey("garoon_user", str)
SOAP_ACTION_KEY: web.RequestKey[str] = web.RequestKey("soap_action", str)
DATASTORE_NAME = re.compile(r"^[A-Za-z0-9.]+\.schedule\.[A-Za-z0-9.]+$")
DATASTORE_MAX_NAMES = 10
DATASTORE_MAX_VALUE = 80_000
ORDER_PROPS = {"createdAt", "updatedAt", "start"}


def sim_of(request: web.Request) -> GaroonSimulator:
    return request.app[SIM_KEY]


def rest_user(request: web.Request) -> User:
    header = request.headers.get("X-Cybozu-Authorization")
    if not header:
        raise auth_missing()
    try:
        login, _, password = base64.b64decode(header, validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise auth_malformed() from exc
    user = sim_of(request).authenticate(login, password)
    if user is None:
        raise login_failed()
    request[USER_KEY] = user.code
    return user


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise GaroonError(
            400, "GRN_REST_API_00105", "Invalid input.", "The request body is invalid."
        ) from exc


def _int_param(request: web.Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit():
        raise bad_param(name)
    value = int(raw)
    if value < lo:
        raise bad_param(name, f"{name} is less than the minimum value.", "GRN_REST_API_00210")
    if value > hi:
        raise bad_param(name, f"{name} exceeds the maximum value.", "GRN_REST_API_00211")
    return value


def _bool_param(request: web.Request, name: str) -> bool:
    raw = request.query.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise bad_param(name)
    return raw == "true"


# ---------------------------------------------------------------------- events
async def list_events(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    limit = _int_param(request, "limit", 100, 1, 1000)
    offset = _int_param(request, "offset", 0, 0, 2147483647)
    q = request.query
    tz = None
    start = parse_rfc3339(q["rangeStart"], "rangeStart", tz) if "rangeStart" in q else None
    end = parse_rfc3339(q["rangeEnd"], "rangeEnd", tz) if "rangeEnd" in q else None
    if start is not None and end is not None and start >= end:
        raise bad_param("rangeEnd", "rangeStart must be before rangeEnd.", "GRN_REST_API_00203")
    order = q.get("orderBy", sim.settings.default_order_by).split()
    if (
        len(order) not in (1, 2)
        or order[0] not in ORDER_PROPS
        or order[-1] not in ORDER_PROPS | {"asc", "desc"}
    ):
        raise bad_param("orderBy")
    prop, descending = order[0], len(order) == 2 and order[1] == "desc"
    target, target_type = q.get("target"), q.get("targetType")
    if (target is None) != (target_type is None):
        raise bad_param(
            "target", "target and targetType must be given together.", "GRN_REST_API_00205"
        )
    show_private = _bool_param(request, "showPrivate")

    if target_type is None:
        candidates = sim.events_of_user(user.id)
    elif target_type == "user":
        candidates = sim.events_of_user(sim.resolve_user(str(target)).id)
    elif target_type == "organization":
        if not str(target).isdigit() or int(str(target)) not in sim.organizations:
            raise GaroonError(520, "GRN_CMMN_00106", "Cannot find the specified organization.")
        oid = int(str(target))
        candidates = [
            e
            for e in sim.events.values()
            if any(m.type == "ORGANIZATION" and m.id == oid for m in e.attendees)
        ]
    elif target_type == "facility":
        if not str(target).isdigit() or int(str(target)) not in sim.facilities:
            raise bad_param(
                "target", "The object specified in target does not exist.", "GRN_REST_API_00206"
            )
        candidates = [e for e in sim.events.values() if int(str(target)) in e.facilities]
    else:
        raise bad_param(
            "targetType",
            "Only allowed values for targetType: [user, organization, facility]",
            "GRN_REST_API_00212",
        )

    keyword = q.get("keyword")
    rows: list[tuple[Any, dict[str, Any]]] = []
    for occ in sim.occurrences_in(candidates, start, end):
        ev = occ.event
        if sim.can_view(user.id, ev):
            if keyword and not _keyword_hit(
                ev.subject, ev.notes, ev.company_info.get("name", ""), keyword
            ):
                continue
            body = render_event(sim, ev, occ)
        elif show_private and not (
            sim.settings.hide_private_completely and target_type != "facility"
        ):
            if keyword:
                continue
            body = render_private_stub(ev, occ)
        else:
            continue
        sort_value = {"createdAt": ev.created_at, "updatedAt": ev.updated_at, "start": occ.start}[
            prop
        ]
        rows.append(((sort_value, ev.id, occ.start), body))
    rows.sort(key=lambda r: r[0], reverse=descending)
    page = [body for _, body in rows[offset : offset + limit]]
    fields = q.get("fields")
    if fields:
        wanted = {f.strip() for f in fields.split(",")}
        page = [{k: v for k, v in b.items() if k in wanted} for b in page]
    return _json({"events": page, "hasNext": offset + limit < len(rows)})


def _keyword_hit(subject: str, notes: str, company: str, keyword: str) -> bool:
    return any(keyword.lower() in text.lower() for text in (subject, notes, company))


async def get_event(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    ev = sim.get_event(user.id, request.match_info["id"])
    return _json(render_event(sim, ev))


async def create_event(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    ev = sim.insert_event(user.id, event_from_rest(sim, user.id, await _body(request)))
    return _json(render_event(sim, ev))


async def patch_event(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    ev = sim.editable_event(user.id, request.match_info["id"])
    new = apply_rest_patch(sim, ev, await _body(request))
    return _json(render_event(sim, sim.save_event(user.id, new)))


async def delete_event(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    sim.delete_event(user.id, request.match_info["id"])
    return web.Response(status=204)


# ---------------------------------------------------------------------- datastore
def _datastore_name(request: web.Request) -> str:
    name = request.match_info["name"]
    if len(name) > 128 or not DATASTORE_NAME.match(name):
        raise bad_param(
            "customizeName", "Use the reverse domain + .schedule. + name, [A-Za-z0-9.] only."
        )
    return name


def _datastore_value(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not isinstance(body.get("value"), dict):
        raise bad_param("value", 'The body must be {"value": {...}}.')
    value: dict[str, Any] = body["value"]
    if len(json.dumps(value, ensure_ascii=False)) > DATASTORE_MAX_VALUE:
        raise bad_param(
            "value", "value exceeds the maximum number of characters.", "GRN_REST_API_00209"
        )
    return value


def _datastore_missing(name: str) -> GaroonError:
    return GaroonError(
        404, "GRN_REST_API_00206", "Invalid parameter.", f"No datastore {name!r} on this event."
    )


async def datastore(request: web.Request) -> web.Response:
    sim = sim_of(request)
    user = rest_user(request)
    name = _datastore_name(request)
    ev = sim.get_event(user.id, request.match_info["id"])
    if request.method == "GET":
        if name not in ev.datastore:
            raise _datastore_missing(name)
        return _json({"value": ev.datastore[name]})
    if not sim.can_edit(user.id, ev):
        raise no_permission("changing this event's datastore")
    if request.method == "DELETE":
        if ev.datastore.pop(name, None) is None:
            raise _datastore_missing(name)
        return web.Response(status=204)
    value = _datastore_value(await _body(request))
    if request.method == "POST":
        if name in ev.datastore:
            raise bad_param(
                "customizeName",
                f"A datastore {name!r} already exists; use PUT.",
                "GRN_REST_API_00226",
            )
        if len(ev.datastore) >= DATASTORE_MAX_NAMES:
            raise bad_param(
                "customizeName", "At most 10 datastores per event.", "GRN_REST_API_00211"
            )
    elif name not in ev.datastore:
        raise _datastore_missing(name)
    # Datastore writes do not touch the event's updatedAt/version [unverified].
    ev.datastore[name] = value
    return _json({"value": value})


# ---------------------------------------------------------------------- directory
def _page(request: web.Request, items: list[dict[str, Any]], key: str) -> web.Response:
    limit = _int_param(request, "limit", 100, 1, 1000)
    offset = _int_param(request, "offset", 0, 0, 2147483647)
    return _json({key: items[offset : offset + limit], "hasNext": offset + limit < len(items)})


async def facilities(request: web.Request) -> web.Response:
    sim = sim_of(request)
    rest_user(request)
    name = request.query.get("name", "").lower()
    items = [
        {"id": str(f.id), "code": f.code, "name": f.name, "notes": f.notes}
        for f in sorted(sim.facilities.values(), key=lambda f: f.id)
        if name in f.name.lower() or name in f.code.lower()
    ]
    return _page(request, items, "facilities")


async def users(request: web.Request) -> web.Response:
    sim = sim_of(request)
    rest_user(request)
    name = request.query.get("name", "").lower()
    items = [
        {"id": str(u.id), "name": u.name, "code": u.code}
        for u in sorted(sim.users.values(), key=lambda u: u.id)
        if name in u.name.lower() or name in u.code.lower()
    ]
    return _page(request, items, "users")


async def organizations(request: web.Request) -> web.Response:
    sim = sim_of(request)
    rest_user(request)
    items = [
        {
            "id": str(o.id),
            "name": o.name,
            "code": o.code,
            "parentOrganization": str(o.parent_id) if o.parent_id else None,
            "childOrganizations": [
                {"id": str(c.id)} for c in sim.organizations.values() if c.parent_id == o.id
            ],
        }
        for o in sorted(sim.organizations.values(), key=lambda o: o.id)
    ]
    return _page(request, items, "organizations")


async def organization_users(request: web.Request) -> web.Response:
    sim = sim_of(request)
    rest_user(request)
    oid = request.match_info["id"]
    org = sim.organizations.get(int(oid)) if oid.isdigit() else None
    if org is None:
        raise GaroonError(520, "GRN_CMMN_00106", "Cannot find the specified organization.")
    items = [
        {"id": str(u), "name": sim.users[u].name, "code": sim.users[u].code}
        for u in org.members
        if u in sim.users
    ]
    return _page(request, items, "users")


def add_routes(app: web.Application, prefix: str) -> None:
    api = f"{prefix}/api/v1"
    app.router.add_get(f"{api}/schedule/events", list_events)
    app.router.add_post(f"{api}/schedule/events", create_event)
    app.router.add_get(f"{api}/schedule/events/{{id}}", get_event)
    app.router.add_patch(f"{api}/schedule/events/{{id}}", patch_event)
    app.router.add_delete(f"{api}/schedule/events/{{id}}", delete_event)
    app.router.add_route("*", f"{api}/schedule/events/{{id}}/datastore/{{name}}", datastore)
    app.router.add_get(f"{api}/schedule/facilities", facilities)
    app.router.add_get(f"{api}/base/users", users)
    app.router.add_get(f"{api}/base/organizations", organizations)
    app.router.add_get(f"{api}/base/organizations/{{id}}/users", organization_users)
