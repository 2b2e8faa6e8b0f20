"""HTTP plumbing of the admin API: bearer-token check, JSON errors, tenant lookup."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from kakehashi.contracts.state import Tenant, UserLink
from kakehashi.runtime import ServiceContext
from kakehashi.store import StoreUnavailable

M = TypeVar("M", bound=BaseModel)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/api/v1"
MAX_BODY = 5 * 1024 * 1024  # a CSV of tens of thousands of users still fits


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra


def error_response(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, **extra}}, status=status)


def _authorized(ctx: ServiceContext, header: str) -> bool:
    token = ctx.settings.admin_token
    if token is None or not token.get_secret_value():
        return False  # no token configured: the admin API stays closed
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented:
        return False
    # Constant time, so response timing does not reveal how much of a guess was right.
    return hmac.compare_digest(presented.strip().encode(), token.get_secret_value().encode())


def guarded(ctx: ServiceContext, handler: Handler) -> Handler:
    """Bearer-token check plus ApiError -> JSON error, around one handler."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        if not _authorized(ctx, request.headers.get("Authorization", "")):
            response = error_response(
                401,
                "unauthorized",
                "a valid admin token is required (Authorization: Bearer <KAKEHASHI_ADMIN_TOKEN>)",
            )
            response.headers["WWW-Authenticate"] = 'Bearer realm="kakehashi-admin"'
            return response
        try:
            return await handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, **exc.extra)
        except StoreUnavailable as exc:
            return error_response(503, "store_unavailable", f"the database is unavailable: {exc}")

    return wrapped


async def read_body(request: web.Request, limit: int = MAX_BODY) -> bytes:
    """The whole body, refused with 413 beyond `limit` (read in chunks, never all at once)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too_large", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request) -> dict[str, Any]:
    raw = await read_body(request)
    try:
        # utf-8-sig: authOfficeCalendar.json saved by Windows Notepad starts with a BOM.
        body = json.loads(raw.decode("utf-8-sig")) if raw else None
    except ValueError as exc:
        raise ApiError(400, "bad_json", f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    return body


def parse_model(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {"field": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors()
        ]
        raise ApiError(400, "invalid", "the request is not valid", details=details) from exc


async def load_tenant(ctx: ServiceContext, request: web.Request) -> Tenant:
    tenant_id = request.match_info["tenant"]
    tenant = await ctx.store.tenants.get(tenant_id)
    if tenant is None:
        raise ApiError(404, "tenant_not_found", f"no tenant {tenant_id!r}: create it first")
    return tenant


async def load_link(ctx: ServiceContext, tenant: Tenant, request: web.Request) -> UserLink:
    """The user named by the path's `{login}` in `tenant`, or a 404."""
    login = request.match_info["login"]
    link = await ctx.store.user_links.by_garoon_login(tenant.id, login)
    if link is None:
        raise ApiError(404, "user_not_found", f"no user {login!r} in this tenant")
    return link
