"""Subscriptions: create (with the validation handshake), renew, delete, reauthorize."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from aiohttp import web

from .app import claims_of, json_response, read_json, require_roles, sim_of
from .errors import GraphError
from .model import Subscription
from .odata import parse_prefer
from .timeutil import now

GRAPH = "https://graph.microsoft.com/v1.0"
_RESOURCE = re.compile(
    r"^/?users/([^/?]+)/(?:events|calendar/events|calendars/[^/?]+/events)(?:\?.*)?$", re.IGNORECASE
)
CHANGE_TYPES = {"created", "updated", "deleted"}


def _ext_error(status: int, op: str, reason: str) -> GraphError:
    # Subscription failures from the Outlook extension come back wrapped like this.
    phrase = {400: "BadRequest", 404: "NotFound", 409: "Conflict", 403: "Forbidden"}[status]
    return GraphError(
        status,
        "ExtensionError",
        f"Operation: {op}; Exception: [Status Code: {phrase}; Reason: {reason}]",
    )


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond:06d}0Z"


def render(sub: Subscription) -> dict[str, Any]:
    return {
        "@odata.context": f"{GRAPH}/$metadata#subscriptions/$entity",
        "id": sub.id,
        "resource": sub.resource,
        "applicationId": sub.app_id,
        "changeType": ",".join(sub.change_types),
        "clientState": sub.client_state,
        "notificationUrl": sub.notification_url,
        "notificationQueryOptions": None,
        "lifecycleNotificationUrl": sub.lifecycle_url,
        "expirationDateTime": _stamp(sub.expiration),
        "creatorId": sub.creator_id,
        "includeResourceData": False,
        "latestSupportedTlsVersion": sub.latest_tls,
        "encryptionCertificate": None,
        "encryptionCertificateId": None,
        "notificationUrlAppId": None,
    }


def _expiration(request: web.Request, raw: Any, op: str) -> dt.datetime:
    sw = sim_of(request).switches
    try:
        value = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise GraphError(
            400, "BadRequest", "expirationDateTime is not a valid DateTimeOffset."
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    current = now()
    if value <= current:
        raise _ext_error(400, op, "Subscription expiration can only be in the future.")
    if value > current + dt.timedelta(minutes=sw.subscription_max_minutes):
        raise _ext_error(
            400,
            op,
            f"Subscription expiration can only be {sw.subscription_max_minutes} minutes in the "
            "future.",
        )
    minimum = current + dt.timedelta(minutes=sw.subscription_min_minutes)
    return max(value, minimum).astimezone(dt.UTC)


def _owned(request: web.Request, sub_id: str) -> Subscription:
    sim = sim_of(request)
    claims = claims_of(request)
    live = {s.id: s for s in sim.live_subscriptions()}
    sub = live.get(sub_id)
    if sub is None or sub.app_id != claims.app_id or sub.tenant_id != claims.tenant_id:
        raise GraphError(
            404,
            "ResourceNotFound",
            f"The object was not found. Subscription Id '{sub_id}' not found.",
        )
    return sub


async def create(request: web.Request) -> web.Response:
    sim = sim_of(request)
    claims = claims_of(request)
    body = await read_json(request)
    for name in ("changeType", "notificationUrl", "resource", "expirationDateTime"):
        if not body.get(name):
            raise GraphError(400, "InvalidRequest", f"Subscription property '{name}' is required.")
    change_types = [c.strip() for c in str(body["changeType"]).split(",")]
    if not change_types or any(c not in CHANGE_TYPES for c in change_types):
        raise GraphError(400, "InvalidRequest", f"Invalid changeType '{body['changeType']}'.")
    resource = str(body["resource"])
    m = _RESOURCE.match(resource)
    if m is None:
        raise _ext_error(
            400, "Create", f"The resource '{resource}' is not supported by the simulator."
        )
    require_roles(request, "Calendars.Read", "Calendars.ReadWrite")
    if body.get("includeResourceData"):
        raise GraphError(
            400, "ValidationError", "includeResourceData is not supported by the simulator."
        )
    user = sim.find_user(claims.tenant_id, m.group(1))
    if user is None:
        raise _ext_error(404, "Create", f"The requested user '{m.group(1)}' is invalid.")
    urls = [str(body["notificationUrl"])]
    if body.get("lifecycleNotificationUrl"):
        urls.append(str(body["lifecycleNotificationUrl"]))
    for url in urls:
        if not url.lower().startswith(("https://", "http://")) or (
            sim.switches.require_https_notification_url and not url.lower().startswith("https://")
        ):
            raise GraphError(
                400, "ValidationError", "The Notification Url must be a valid HTTPS URL."
            )
    client_state = body.get("clientState")
    if client_state is not None and len(str(client_state)) > 128:
        raise GraphError(400, "ValidationError", "clientState must be at most 128 characters.")
    expiration = _expiration(request, body["expirationDateTime"], "Create")
    for other in sim.live_subscriptions():
        same_res = (
            other.mailbox == user.id
            and other.app_id == claims.app_id
            and other.tenant_id == claims.tenant_id
        )
        if same_res and set(other.change_types) == set(change_types):
            raise _ext_error(
                409,
                "Create",
                f"Subscription Id {other.id} already exists for the requested combination",
            )
    for url in urls:
        ok, _why = await sim.notifier.validate(url)
        if not ok:
            raise GraphError(
                400,
                "ValidationError",
                "Subscription validation request failed. Notification endpoint must respond with "
                "200 OK to validation request.",
            )
    sub = Subscription(
        id=str(uuid.uuid4()),
        tenant_id=claims.tenant_id,
        app_id=claims.app_id,
        resource=resource,
        mailbox=user.id,
        change_types=change_types,
        notification_url=urls[0],
        lifecycle_url=urls[1] if len(urls) > 1 else None,
        client_state=None if client_state is None else str(client_state),
        expiration=expiration,
        immutable_ids=parse_prefer(request).immutable_ids,
        creator_id=claims.app_id,
        latest_tls=str(body.get("latestSupportedTlsVersion") or "v1_2"),
    )
    sim.subscriptions[sub.id] = sub
    return json_response(render(sub), 201)


async def list_subs(request: web.Request) -> web.Response:
    claims = claims_of(request)
    subs = [
        render(s)
        for s in sim_of(request).live_subscriptions()
        if s.app_id == claims.app_id and s.tenant_id == claims.tenant_id
    ]
    for s in subs:
        s.pop("@odata.context")
    return json_response({"@odata.context": f"{GRAPH}/$metadata#subscriptions", "value": subs})


async def get_sub(request: web.Request) -> web.Response:
    return json_response(render(_owned(request, request.match_info["id"])))


async def patch_sub(request: web.Request) -> web.Response:
    sub = _owned(request, request.match_info["id"])
    body = await read_json(request)
    if "lifecycleNotificationUrl" in body:
        raise GraphError(
            400,
            "InvalidRequest",
            "lifecycleNotificationUrl can only be set when the subscription is created.",
        )
    if "expirationDateTime" in body:
        sub.expiration = _expiration(request, body["expirationDateTime"], "Update")
    return json_response(render(sub))


async def delete_sub(request: web.Request) -> web.Response:
    sub = _owned(request, request.match_info["id"])
    del sim_of(request).subscriptions[sub.id]
    return web.Response(status=204)


async def reauthorize(request: web.Request) -> web.Response:
    _owned(request, request.match_info["id"])
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/v1.0/subscriptions", create)
    r.add_get("/v1.0/subscriptions", list_subs)
    r.add_get("/v1.0/subscriptions/{id}", get_sub)
    r.add_patch("/v1.0/subscriptions/{id}", patch_sub)
    r.add_delete("/v1.0/subscriptions/{id}", delete_sub)
    r.add_post("/v1.0/subscriptions/{id}/reauthorize", reauthorize)
