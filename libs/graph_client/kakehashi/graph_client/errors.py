"""Every Graph and identity-platform failure becomes one of these types, mapped here and only here.

Two mapping functions: `error_from_response` for Graph HTTP answers and `auth_error_from_msal`
for the error dicts msal returns (msal never raises for a refused token request).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any


class GraphError(Exception):
    """Base of every error this client raises. `status` is 0 when no HTTP answer was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        request_id: str | None = None,
        client_request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.client_request_id = client_request_id

    def __str__(self) -> str:
        parts = [self.message]
        if self.status:
            parts.append(f"status={self.status}")
        if self.code:
            parts.append(f"code={self.code}")
        if self.request_id:
            parts.append(f"request-id={self.request_id}")
        return " ".join(parts)


# ---------------------------------------------------------------- authentication


class AuthError(GraphError):
    """A token could not be obtained or was refused. `aadsts` is the AADSTS number, if any."""

    def __init__(
        self,
        message: str,
        *,
        aadsts: int | None = None,
        error: str | None = None,
        description: str | None = None,
        status: int = 0,
        code: str | None = None,
    ) -> None:
        super().__init__(message, status=status, code=code or error)
        self.aadsts = aadsts
        self.error = error
        self.description = description or message


class UnknownTenant(AuthError):
    """The tenant id/domain does not exist (AADSTS90002, 900023, or no OpenID metadata)."""


class UnknownClient(AuthError):
    """No application with this client id in the tenant (AADSTS700016)."""


class InvalidSecret(AuthError):
    """Wrong client secret or certificate (AADSTS7000215, 700027)."""


class ExpiredSecret(AuthError):
    """The client secret has expired (AADSTS7000222)."""


class ConsentMissing(AuthError):
    """Admin consent was never granted (AADSTS65001, 500011) or a needed role is absent."""


class DisabledClient(AuthError):
    """The application or its service principal is disabled (AADSTS7000112)."""


class Unauthorized(AuthError):
    """Graph answered 401 even with a freshly acquired token."""


_AADSTS_TYPES: dict[int, type[AuthError]] = {
    90002: UnknownTenant,
    900023: UnknownTenant,
    90072: UnknownTenant,
    700016: UnknownClient,
    7000215: InvalidSecret,
    700027: InvalidSecret,
    7000222: ExpiredSecret,
    65001: ConsentMissing,
    500011: ConsentMissing,
    7000112: DisabledClient,
}

_AADSTS_RE = re.compile(r"AADSTS(\d+)")


def auth_error_from_msal(result: Mapping[str, Any]) -> AuthError:
    """Turn msal's `{"error", "error_description", "error_codes"}` dict into a typed error."""
    error = str(result.get("error") or "auth_failed")
    description = str(result.get("error_description") or error)
    aadsts: int | None = None
    codes = result.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        aadsts = codes[0]
    else:
        match = _AADSTS_RE.search(description)
        if match:
            aadsts = int(match.group(1))
    cls = _AADSTS_TYPES.get(aadsts, AuthError) if aadsts is not None else AuthError
    if cls is AuthError and error == "invalid_client":
        cls = InvalidSecret
    message = description.splitlines()[0] if description else error
    return cls(message, aadsts=aadsts, error=error, description=description)


# ---------------------------------------------------------------- Graph HTTP answers


class BadRequest(GraphError):
    """400: the request was malformed or refused by validation."""


class Forbidden(GraphError):
    """403: missing permission, access policy, or mailbox limit. `code` e.g. ErrorAccessDenied."""


class NotFound(GraphError):
    """404: no such user, event or subscription (or not visible to this app)."""


class Conflict(GraphError):
    """409: e.g. a duplicate subscription for the same resource and changeType."""


class Gone(GraphError):
    """410."""


class PreconditionFailed(GraphError):
    """412: the If-Match etag is stale (Graph code ErrorIrresolvableConflict)."""


class Throttled(GraphError):
    """429 after the retry budget was spent. `retry_after` is the server's last hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class ServerError(GraphError):
    """5xx after retries (or a non-idempotent request that was not retried)."""


class TransportError(GraphError):
    """No HTTP answer: connection refused/reset, TLS failure, timeout."""


class DeltaExpired(GraphError):
    """The delta token is no longer valid (410 or syncStateNotFound): run a full resync."""


class TeamsNotEnabled(GraphError):
    """Graph accepted the PATCH but the event did not become a Teams meeting (§6.1 failure)."""


class ProtocolError(GraphError):
    """The answer did not have the expected shape (e.g. a page without value or links)."""


_STATUS_TYPES: dict[int, type[GraphError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    429: Throttled,
}

_DELTA_RESET_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})


def _error_fields(body: Any) -> tuple[str | None, str]:
    if isinstance(body, Mapping):
        err = body.get("error")
        if isinstance(err, Mapping):
            return (
                str(err["code"]) if err.get("code") is not None else None,
                str(err.get("message") or ""),
            )
    return None, ""


def error_from_response(
    status: int,
    body: Any,
    headers: Mapping[str, str],
    *,
    client_request_id: str | None = None,
    delta: bool = False,
) -> GraphError:
    """Map a non-2xx Graph answer (status, parsed JSON body or None, headers) to its error."""
    code, message = _error_fields(body)
    kw: dict[str, Any] = {
        "status": status,
        "code": code,
        "request_id": headers.get("request-id"),
        "client_request_id": client_request_id,
    }
    text = message or f"Graph answered HTTP {status}"
    if delta and (status == 410 or (code or "").lower() in _DELTA_RESET_CODES):
        return DeltaExpired(text, **kw)
    if status == 401:
        return Unauthorized(text, status=status, code=code)
    if status == 429:
        return Throttled(text, retry_after=parse_retry_after(headers.get("Retry-After")), **kw)
    cls = _STATUS_TYPES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else GraphError
    return cls(text, **kw)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in (possibly fractional) seconds; None when absent or not a number."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None  # an HTTP-date; Graph sends seconds, so fall back to our own back-off
    return max(0.0, seconds)
