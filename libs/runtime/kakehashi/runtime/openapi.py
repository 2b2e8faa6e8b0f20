"""A service's committed OpenAPI document: shipped as package data, loaded once, served as JSON."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from aiohttp import web

OPENAPI_FILE = "openapi.json"


def packaged_document(package: str, name: str = OPENAPI_FILE) -> dict[str, Any]:
    """The JSON document `name` shipped inside `package` (e.g. "kakehashi.admin")."""
    text = resources.files(package).joinpath(name).read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def document_handler(
    document: Callable[[], dict[str, Any]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """A GET handler answering with `document()` as JSON."""

    async def serve(request: web.Request) -> web.Response:
        return web.json_response(document())

    return serve
