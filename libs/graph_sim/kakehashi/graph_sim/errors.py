"""Graph's error shape: {"error": {"code", "message", "innerError": {...}}}."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from aiohttp import web

REQUEST_ID_KEY = web.RequestKey("graph_sim_request_id", str)


class GraphError(Exception):
    """Raised anywhere in request handling; the middleware turns it into Graph's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    return GraphError(404, "ErrorItemNotFound", what)


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def access_denied() -> GraphError:
    return GraphError(
        403, "ErrorAccessDenied", "Access is denied. Check credentials and try again."
    )


def error_body(
    code: str, message: str, request_id: str, client_request_id: str | None
) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
    inner: dict[str, Any] = {"date": now, "request-id": request_id}
    inner["client-request-id"] = client_request_id or request_id
    return {"error": {"code": code, "message": message, "innerError": inner}}


def error_response(err: GraphError, request: web.Request) -> web.Response:
    request_id = request.get(REQUEST_ID_KEY) or str(uuid.uuid4())
    body = error_body(err.code, err.message, request_id, request.headers.get("client-request-id"))
    headers = {"request-id": request_id, **err.headers}
    return web.Response(
        status=err.status,
        text=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )
