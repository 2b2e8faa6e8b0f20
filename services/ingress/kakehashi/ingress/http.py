"""Small HTTP helpers shared by the webhook handlers: bounded bodies and JSON error answers."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

_CHUNK = 64 * 1024
# Field errors listed in a 400 answer; a fuzzed body can produce thousands.
_MAX_FIELD_ERRORS = 10


class BodyTooLarge(Exception):
    """The request body is over the route's limit."""


def json_error(status: int, error: str, detail: str, **extra: Any) -> web.Response:
    return web.json_response({"error": error, "detail": detail, **extra}, status=status)


def too_large(limit: int) -> web.Response:
    return json_error(413, "payload_too_large", f"request body is larger than {limit} bytes")


def unsupported_media(expected: str, got: str) -> web.Response:
    return json_error(
        415, "unsupported_media_type", f"Content-Type must be {expected}, got {got or 'none'!r}"
    )


async def read_limited(request: web.Request, limit: int) -> bytes:
    """The body, refusing more than `limit` bytes.

    aiohttp's client_max_size is per application, but each webhook needs its own limit; reading
    the stream ourselves enforces it per route and stops early on chunked uploads.
    """
    declared = request.content_length
    if declared is not None and declared > limit:
        raise BodyTooLarge
    data = bytearray()
    async for chunk in request.content.iter_chunked(_CHUNK):
        data += chunk
        if len(data) > limit:
            raise BodyTooLarge
    return bytes(data)


def validation_failed(exc: ValidationError) -> web.Response:
    """A 400 naming the offending fields. Input values are never echoed: they may be secrets."""
    errors = exc.errors(include_input=False, include_url=False, include_context=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return json_error(400, "invalid_json", "request body is not valid JSON")
    fields = [
        {"field": ".".join(str(part) for part in e["loc"]) or "(body)", "message": e["msg"]}
        for e in errors[:_MAX_FIELD_ERRORS]
    ]
    names = ", ".join(f["field"] for f in fields)
    return json_error(400, "invalid_body", f"invalid field(s): {names}", fields=fields)
