"""Calendar endpoints under /v1.0/users/{user}: events, instances, calendarView and its delta."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from aiohttp import web

from .app import claims_of, json_response, read_json, require_roles, sim_of
from .errors import GraphError, bad_request
from .model import Event, User
from .odata import add_ext, expand_ext, page, parse_filter, parse_prefer, select_of
from .render import apply_select, key_time, render_event, render_instance, split_occurrence_id
from .sim import GraphSimulator
from .timeutil import parse_query_time

READ = ("Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic")
WRITE = ("Calendars.ReadWrite",)
GRAPH = "https://graph.microsoft.com/v1.0"


def _user(request: web.Request) -> User:
    sim = sim_of(request)
    ident = request.match_info["user"]
    user = sim.find_user(claims_of(request).tenant_id, ident)
    if user is None:
        raise GraphError(404, "ErrorInvalidUser", f"The requested user '{ident}' is invalid.")
    return user


def _prefer_headers(request: web.Request) -> dict[str, str]:
    prefer = parse_prefer(request)
    applied = []
    if prefer.timezone:
        applied.append(f'outlook.timezone="{prefer.timezone}"')
    if prefer.max_page_size:
        applied.append(f"odata.maxpagesize={prefer.max_page_size}")
    if prefer.immutable_ids:
        applied.append('IdType="ImmutableId"')
    return {"Preference-Applied": ", ".join(applied)} if applied else {}


def _one(request: web.Request, user: User, ev: Event, key: str | None) -> dict[str, Any]:
    tz = parse_prefer(request).timezone
    if key is None:
        item = render_event(ev, tz)
    else:
        exc = ev.exceptions.get(key)
        start = exc.start if exc else key_time(key)
        end = exc.end if exc else start + (ev.end - ev.start)
        item = render_instance(ev, key, start, end, exc, tz)
    item = apply_select(item, select_of(request))
    item = add_ext(item, ev, expand_ext(request))
    return {"@odata.context": f"{GRAPH}/$metadata#users('{user.id}')/events/$entity", **item}


def _window(request: web.Request) -> tuple[dt.datetime, dt.datetime]:
    start, end = request.query.get("startDateTime"), request.query.get("endDateTime")
    if not start or not end:
        raise GraphError(
            400,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters "
            "StartDateTime and EndDateTime.",
        )
    return parse_query_time(start), parse_query_time(end)


def _collection(request: web.Request, context: str, items: list[dict[str, Any]]) -> web.Response:
    chunk, next_link = page(request, items, sim_of(request).switches.default_page_size)
    body: dict[str, Any] = {"@odata.context": context, "value": chunk}
    if next_link:
        body["@odata.nextLink"] = next_link
    return json_response(body, headers=_prefer_headers(request))


# ---------------------------------------------------------------------- handlers
async def create_event(request: web.Request) -> web.Response:
    require_roles(request, *WRITE)
    user = _user(request)
    body = await read_json(request)
    ev, _created = sim_of(request).calendar.create(user, body)
    # A transactionId replay answers 201 with the original event (switch: 409 instead).
    item = apply_select(render_event(ev, parse_prefer(request).timezone), select_of(request))
    headers = {
        "Location": f"{GRAPH}/users('{user.id}')/events('{ev.id}')",
        **_prefer_headers(request),
    }
    return json_response(
        {"@odata.context": f"{GRAPH}/$metadata#users('{user.id}')/events/$entity", **item},
        201,
        headers,
    )


async def list_events(request: web.Request) -> web.Response:
    require_roles(request, *READ)
    user = _user(request)
    sim = sim_of(request)
    pred = parse_filter(request.query.get("$filter"))
    wanted, select, tz = expand_ext(request), select_of(request), parse_prefer(request).timezone
    events = sorted(sim.calendar.box(user.id).values(), key=lambda e: (e.start, e.id))
    items = [
        add_ext(apply_select(render_event(ev, tz), select), ev, wanted)
        for ev in events
        if pred is None or pred(ev)
    ]
    return _collection(request, f"{GRAPH}/$metadata#users('{user.id}')/events", items)


async def get_event(request: web.Request) -> web.Response:
    require_roles(request, *READ)
    user = _user(request)
    ev, key = sim_of(request).calendar.resolve(user.id, request.match_info["event"])
    return json_response(_one(request, user, ev, key), headers=_prefer_headers(request))


def _check_if_match(request: web.Request, user: User) -> None:
    """A stale If-Match -> 412 ErrorIrresolvableConflict [S] (switch honour_if_match)."""
    wanted = request.headers.get("If-Match")
    sim = sim_of(request)
    if not wanted or wanted == "*" or not sim.switches.honour_if_match:
        return
    ev, key = sim.calendar.resolve(user.id, request.match_info["event"])
    exc = ev.exceptions.get(key) if key else None
    current = exc.change_key if exc else ev.change_key
    if wanted.strip() not in (f'W/"{current}"', f'"{current}"', current):
        raise GraphError(
            412,
            "ErrorIrresolvableConflict",
            "The send or update operation could not be performed because the change key passed in "
            "the request does not match the current change key for the item.",
        )


async def update_event(request: web.Request) -> web.Response:
    require_roles(request, *WRITE)
    user = _user(request)
    sim = sim_of(request)
    body = await read_json(request)
    event_id = request.match_info["event"]
    _check_if_match(request, user)
    ev, key = sim.calendar.update(user, event_id, body)
    if (
        key is None
        and sim.switches.mutable_ids_change_on_update
        and not parse_prefer(request).immutable_ids
    ):
        ev = sim.calendar.rekey(ev)
    item = _one(request, user, ev, key)
    item.pop("singleValueExtendedProperties", None)  # never in a PATCH response
    return json_response(item, headers=_prefer_headers(request))


async def delete_event(request: web.Request) -> web.Response:
    require_roles(request, *WRITE)
    user = _user(request)
    _check_if_match(request, user)
    sim_of(request).calendar.delete(user, request.match_info["event"])
    return web.Response(status=204)


async def event_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    require_roles(request, *WRITE)
    user = _user(request)
    body = await read_json(request)
    cal = sim_of(request).calendar
    if action == "cancel":
        cal.cancel(user, request.match_info["event"], body.get("comment"))
    elif action in {"accept", "decline", "tentativelyAccept"}:
        cal.respond(user, request.match_info["event"], action, body)
    else:
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{action}'.")
    return web.Response(status=202)


async def instances(request: web.Request) -> web.Response:
    require_roles(request, *READ)
    user = _user(request)
    win_start, win_end = _window(request)
    cal = sim_of(request).calendar
    ev, key = cal.resolve(user.id, request.match_info["event"])
    if key is not None or not ev.is_series:
        raise bad_request("The instances API can only be called on a series master.")
    tz, select = parse_prefer(request).timezone, select_of(request)
    items = [
        apply_select(render_instance(ev, k, s, e, x, tz), select)
        for k, s, e, x in cal.instances(ev, win_start, win_end)
    ]
    return _collection(
        request, f"{GRAPH}/$metadata#users('{user.id}')/events('{ev.id}')/instances", items
    )


def _view_items(
    request: web.Request, user: User, win: tuple[dt.datetime, dt.datetime], *, thin: bool
) -> list[tuple[str, dict[str, Any]]]:
    tz = parse_prefer(request).timezone
    out: list[tuple[str, dict[str, Any]]] = []
    for ev, key, start, end, exc in sim_of(request).calendar.view(user.id, *win):
        if key is None:
            item = render_event(ev, tz)
        else:
            item = render_instance(ev, key, start, end, exc, tz, thin=thin and exc is None)
        out.append((item["id"], item))
    return out


async def calendar_view(request: web.Request) -> web.Response:
    require_roles(request, *READ)
    user = _user(request)
    win = _window(request)
    pred = parse_filter(request.query.get("$filter"))
    cal = sim_of(request).calendar
    select, wanted = select_of(request), expand_ext(request)
    items = []
    for ev, key, start, end, exc in cal.view(user.id, *win):
        if pred is not None and not pred(ev):
            continue
        tz = parse_prefer(request).timezone
        item = (
            render_event(ev, tz) if key is None else render_instance(ev, key, start, end, exc, tz)
        )
        items.append(add_ext(apply_select(item, select), ev, wanted))
    return _collection(request, f"{GRAPH}/$metadata#users('{user.id}')/calendarView", items)


def _signal_removal(sim: GraphSimulator, user: User, item_id: str) -> bool:
    """Deleted occurrences of a live series are not signalled by delta [S] (switchable)."""
    if sim.switches.delta_signal_deleted_occurrences:
        return True
    split = split_occurrence_id(item_id)
    return split is None or split[0] not in sim.calendar.box(user.id)


async def calendar_view_delta(request: web.Request) -> web.Response:
    """Snapshot-based delta: new/changed items by changeKey, @removed for anything that left."""
    require_roles(request, *READ)
    user = _user(request)
    sim = sim_of(request)
    q = request.query
    if "$skiptoken" in q:
        state = sim.delta_states.get(q["$skiptoken"])
        if state is None or state["user"] != user.id:
            raise GraphError(410, "SyncStateNotFound", "The sync state generation is not found.")
    else:
        if "$deltatoken" in q:
            base = sim.delta_states.get(q["$deltatoken"])
            if base is None or base["user"] != user.id or base["kind"] != "delta":
                raise GraphError(
                    410,
                    "SyncStateNotFound",
                    "The sync state generation is not found.",
                    headers={"Location": str(request.url.with_query(None))},
                )
            win, old = base["window"], base["snapshot"]
        else:
            win, old = _window(request), {}
        current = _view_items(request, user, win, thin=sim.switches.delta_thin_occurrences)
        snapshot = {item_id: item["@odata.etag"] for item_id, item in current}
        changed = [item_id for item_id, item in current if old.get(item_id) != item["@odata.etag"]]
        removed = [i for i in old if i not in snapshot and _signal_removal(sim, user, i)]
        refs = [("item", i) for i in changed] + [("removed", i) for i in removed]
        state = {
            "kind": "page",
            "user": user.id,
            "window": win,
            "refs": refs,
            "offset": 0,
            "snapshot": snapshot,
        }
    size = parse_prefer(request).max_page_size or sim.switches.default_page_size
    refs_page = state["refs"][state["offset"] : state["offset"] + size]
    rendered = dict(
        _view_items(request, user, state["window"], thin=sim.switches.delta_thin_occurrences)
    )
    value: list[dict[str, Any]] = []
    for kind, item_id in refs_page:
        if kind == "item" and item_id in rendered:
            value.append(rendered[item_id])
        else:
            value.append(
                {
                    "@odata.type": "#microsoft.graph.event",
                    "id": item_id,
                    "@removed": {"reason": "deleted"},
                }
            )
    body: dict[str, Any] = {
        "@odata.context": f"{GRAPH}/$metadata#Collection(event)",
        "value": value,
    }
    link_base = request.url.with_query(None)
    if state["offset"] + size < len(state["refs"]):
        token = secrets.token_urlsafe(16)
        sim.delta_states[token] = {**state, "offset": state["offset"] + size}
        body["@odata.nextLink"] = str(link_base.with_query({"$skiptoken": token}))
    else:
        token = secrets.token_urlsafe(16)
        sim.delta_states[token] = {
            "kind": "delta",
            "user": user.id,
            "window": state["window"],
            "snapshot": state["snapshot"],
        }
        body["@odata.deltaLink"] = str(link_base.with_query({"$deltatoken": token}))
    return json_response(body, headers=_prefer_headers(request))


async def get_calendar(request: web.Request) -> web.Response:
    require_roles(request, *READ)
    user = _user(request)
    providers = ["teamsForBusiness"] if user.teams_enabled else []
    return json_response(
        {
            "@odata.context": f"{GRAPH}/$metadata#users('{user.id}')/calendars/$entity",
            "id": f"AAMkCal{user.id.replace('-', '')}",
            "name": "Calendar",
            "color": "auto",
            "isDefaultCalendar": True,
            "changeKey": "cal",
            "canShare": True,
            "canViewPrivateItems": True,
            "canEdit": True,
            "allowedOnlineMeetingProviders": providers,
            "defaultOnlineMeetingProvider": providers[0] if providers else "unknown",
            "isTallyingResponses": True,
            "isRemovable": False,
            "owner": {"name": user.display_name, "address": user.mail},
        }
    )


def setup(app: web.Application) -> None:
    r = app.router
    for prefix in (
        "/v1.0/users/{user}",
        "/v1.0/users/{user}/calendar",
        "/v1.0/users/{user}/calendars/{cal}",
    ):
        r.add_post(prefix + "/events", create_event)
        r.add_get(prefix + "/events", list_events)
        r.add_get(prefix + "/events/{event}", get_event)
        r.add_patch(prefix + "/events/{event}", update_event)
        r.add_delete(prefix + "/events/{event}", delete_event)
        r.add_get(prefix + "/events/{event}/instances", instances)
        r.add_post(prefix + "/events/{event}/{action}", event_action)
    for prefix in (
        "/v1.0/users/{user}",
        "/v1.0/users/{user}/calendar",
        "/v1.0/users/{user}/calendars/{cal}",
    ):
        r.add_get(prefix + "/calendarView", calendar_view)
        r.add_get(prefix + "/calendarView/delta", calendar_view_delta)
    r.add_get("/v1.0/users/{user}/calendar", get_calendar)
