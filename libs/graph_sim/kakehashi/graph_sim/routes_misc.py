"""Directory users, rooms (places) and free/busy (getSchedule)."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from aiohttp import web

from .app import claims_of, json_response, read_json, require_roles, sim_of
from .errors import GraphError
from .model import Event
from .odata import parse_prefer
from .render import apply_select
from .timeutil import out_dtz, parse_dtz

GRAPH = "https://graph.microsoft.com/v1.0"
USER_ROLES = ("User.Read.All", "User.ReadBasic.All", "Directory.Read.All", "User.ReadWrite.All")
_RANK = {"free": 0, "workingElsewhere": 1, "tentative": 2, "busy": 3, "oof": 4, "unknown": 0}
_DIGIT = {
    "free": "0",
    "tentative": "1",
    "busy": "2",
    "oof": "3",
    "workingElsewhere": "4",
    "unknown": "0",
}


async def get_user(request: web.Request) -> web.Response:
    require_roles(request, *USER_ROLES, directory=True)
    ident = request.match_info["user"]
    user = sim_of(request).find_user(claims_of(request).tenant_id, ident)
    if user is None:
        raise GraphError(
            404,
            "Request_ResourceNotFound",
            f"Resource '{ident}' does not exist or one of its queried reference-property objects "
            "are not present.",
        )
    body = apply_select(user.to_graph(), _select(request))
    body.pop("@odata.etag", None)
    return json_response({"@odata.context": f"{GRAPH}/$metadata#users/$entity", **body})


def _select(request: web.Request) -> list[str] | None:
    raw = request.query.get("$select")
    return raw.split(",") if raw else None


async def list_users(request: web.Request) -> web.Response:
    require_roles(request, *USER_ROLES, directory=True)
    sim = sim_of(request)
    tenant = claims_of(request).tenant_id
    users = [u for u in sim.users.values() if u.tenant_id == tenant]
    flt = request.query.get("$filter")
    if flt:
        m = re.fullmatch(
            r"\s*(mail|userPrincipalName|displayName)\s+eq\s+'((?:[^']|'')*)'\s*",
            flt,
            re.IGNORECASE,
        )
        if m is None:
            raise GraphError(
                400,
                "Request_UnsupportedQuery",
                "Unsupported or invalid query filter clause specified.",
            )
        attr = {
            "mail": "mail",
            "userprincipalname": "user_principal_name",
            "displayname": "display_name",
        }[m.group(1).lower()]
        want = m.group(2).replace("''", "'").lower()
        users = [u for u in users if str(getattr(u, attr)).lower() == want]
    return json_response(
        {
            "@odata.context": f"{GRAPH}/$metadata#users",
            "value": [apply_select(u.to_graph(), _select(request)) for u in users],
        }
    )


async def list_rooms(request: web.Request) -> web.Response:
    require_roles(request, "Place.Read.All", directory=True)
    tenant = claims_of(request).tenant_id
    rooms = [r.to_graph() for r in sim_of(request).rooms.values() if r.tenant_id == tenant]
    value = [{"@odata.type": "#microsoft.graph.room", **r} for r in rooms]
    return json_response(
        {"@odata.context": f"{GRAPH}/$metadata#places/microsoft.graph.room", "value": value}
    )


async def get_schedule(request: web.Request) -> web.Response:
    require_roles(request, "Calendars.Read", "Calendars.ReadWrite", "Calendars.ReadBasic")
    sim = sim_of(request)
    tenant = claims_of(request).tenant_id
    if sim.find_user(tenant, request.match_info["user"]) is None:
        raise GraphError(
            404,
            "ErrorInvalidUser",
            f"The requested user '{request.match_info['user']}' is invalid.",
        )
    body = await read_json(request)
    schedules = body.get("schedules")
    if (
        not isinstance(schedules, list)
        or not schedules
        or "startTime" not in body
        or "endTime" not in body
    ):
        raise GraphError(
            400, "ErrorInvalidParameter", "schedules, startTime and endTime are required."
        )
    start, _ = parse_dtz(body["startTime"])
    end, _ = parse_dtz(body["endTime"])
    interval = int(body.get("availabilityViewInterval", 30))
    if not 5 <= interval <= 1440:
        raise GraphError(
            400, "ErrorInvalidParameter", "availabilityViewInterval must be between 5 and 1440."
        )
    if end - start > dt.timedelta(days=62):
        raise GraphError(
            400, "ErrorTimeIntervalTooBig", "FreeBusyViewOptions.TimeWindow is too long."
        )
    tz = parse_prefer(request).timezone
    value = [
        _schedule_info(request, tenant, str(addr), start, end, interval, tz) for addr in schedules
    ]
    return json_response(
        {
            "@odata.context": f"{GRAPH}/$metadata#Collection(microsoft.graph.scheduleInformation)",
            "value": value,
        }
    )


def _schedule_info(
    request: web.Request,
    tenant: str,
    address: str,
    start: dt.datetime,
    end: dt.datetime,
    interval: int,
    tz: str | None,
) -> dict[str, Any]:
    sim = sim_of(request)
    user = sim.find_user(tenant, address)
    rows: list[tuple[Event, dt.datetime, dt.datetime, dict[str, Any]]] = []
    if user is not None:
        for ev, _key, s, e, exc in sim.calendar.view(user.id, start, end):
            props = {**ev.props, **(exc.props if exc else {})}
            rows.append((ev, s, e, props))
    elif sim.is_room(tenant, address):
        for owner in [u for u in sim.users.values() if u.tenant_id == tenant]:
            for ev, _key, s, e, exc in sim.calendar.view(owner.id, start, end):
                props = {**ev.props, **(exc.props if exc else {})}
                if ev.is_organizer and any(
                    a["emailAddress"]["address"].lower() == address.lower()
                    for a in props.get("attendees", [])
                ):
                    rows.append((ev, s, e, props))
    else:
        return {
            "scheduleId": address,
            "error": {
                "message": f"The user or room '{address}' was not found.",
                "responseCode": "ErrorMailRecipientNotFound",
            },
        }
    items = []
    slots = math.ceil((end - start) / dt.timedelta(minutes=interval))
    view = ["0"] * slots
    for _ev, s, e, props in rows:
        if props.get("isCancelled"):
            continue
        status = props.get("showAs", "busy")
        private = props.get("sensitivity") in {"private", "confidential"}
        item: dict[str, Any] = {
            "isPrivate": private,
            "status": status,
            "start": out_dtz(s, tz),
            "end": out_dtz(e, tz),
        }
        if not private:
            item["subject"] = props.get("subject", "")
            item["location"] = (props.get("location") or {}).get("displayName", "")
        items.append(item)
        for i in range(slots):
            slot_start = start + dt.timedelta(minutes=interval * i)
            slot_end = slot_start + dt.timedelta(minutes=interval)
            if s < slot_end and e > slot_start:
                current = next(k for k, v in _DIGIT.items() if v == view[i])
                if _RANK.get(status, 3) > _RANK[current]:
                    view[i] = _DIGIT.get(status, "2")
    return {
        "scheduleId": address,
        "availabilityView": "".join(view),
        "scheduleItems": items,
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": {"name": user.time_zone if user else "UTC"},
        },
    }


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1.0/users", list_users)
    r.add_get("/v1.0/users/{user}", get_user)
    r.add_post("/v1.0/users/{user}/calendar/getSchedule", get_schedule)
    r.add_get("/v1.0/places/microsoft.graph.room", list_rooms)
