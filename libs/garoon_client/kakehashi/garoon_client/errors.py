"""Every Garoon failure becomes one of these types; REST error JSON and SOAP Faults are mapped
here and only here, by Garoon's error code first and the HTTP status second (SOAP Faults all
arrive as HTTP 500, so the code is what tells them apart)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class GaroonError(Exception):
    """Base of every error this client raises. `status` is 0 when no HTTP answer was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        cause: str = "",
        counter_measure: str = "",
        diagnosis: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.cause = cause
        self.counter_measure = counter_measure
        self.diagnosis = diagnosis

    def __str__(self) -> str:
        parts = [f"{self.code}: {self.message}" if self.code else self.message]
        if self.status:
            parts.append(f"status={self.status}")
        if self.cause:
            parts.append(f"cause={self.cause}")
        if self.diagnosis and self.diagnosis != self.message:
            parts.append(f"diagnosis={self.diagnosis}")
        return " ".join(parts)


class NotFound(GaroonError):
    """GRN_SCHD_13001: the event does not exist or is not visible to the calling user."""


class PermissionDenied(GaroonError):
    """The calling user lacks the view/add/edit/delete right (GRN_CMMN_00005/00022, 403)."""


class LoginFailed(GaroonError):
    """Wrong login name/password or missing/garbled credentials (FW00007, 401)."""


class InvalidRequest(GaroonError):
    """Garoon refused the input (400, e.g. GRN_SCHD_13011 invalid end)."""


class Throttled(GaroonError):
    """429/503 after the retry budget was spent."""


class ServerError(GaroonError):
    """5xx or PHP00099/PHP00002 (unexpected server errors)."""


class TransportError(GaroonError):
    """No HTTP answer: connection refused/reset, TLS, proxy, timeout."""


class ProtocolError(GaroonError):
    """The answer could not be understood (not JSON / not SOAP)."""


_CODE_TYPES: dict[str, type[GaroonError]] = {
    "GRN_SCHD_13001": NotFound,
    "GRN_CMMN_00005": PermissionDenied,
    "GRN_CMMN_00022": PermissionDenied,
    "FW00007": LoginFailed,
    "CB_WA01": LoginFailed,  # cybozu.com front door: password authentication failed
    "GRN_REST_API_00001": LoginFailed,
    "GRN_REST_API_00003": LoginFailed,
    "PHP00099": ServerError,
    "PHP00002": ServerError,
}

_STATUS_TYPES: dict[int, type[GaroonError]] = {
    400: InvalidRequest,
    401: LoginFailed,
    403: PermissionDenied,
    404: NotFound,
    429: Throttled,
}


def error_for(code: str | None, status: int, message: str, **details: str) -> GaroonError:
    """The one mapping from (Garoon error code, HTTP status) to an error type."""
    cls = _CODE_TYPES.get(code or "")
    if cls is None:
        cls = _STATUS_TYPES.get(status)
    if cls is None:
        cls = ServerError if status >= 500 else GaroonError
    return cls(message or f"Garoon answered HTTP {status}", status=status, code=code, **details)


def error_from_rest(status: int, body: Any) -> GaroonError:
    """REST: `{"error": {"errorCode", "message", "cause", "counterMeasure", ...}}`."""
    err = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(err, Mapping):
        # Some front doors (Basic auth, proxies) answer with HTML or a bare JSON object.
        if isinstance(body, Mapping) and "code" in body:
            err = {"errorCode": body.get("code"), "message": body.get("message", "")}
        else:
            return error_for(None, status, "")
    return error_for(
        str(err["errorCode"]) if err.get("errorCode") else None,
        status,
        str(err.get("message") or ""),
        cause=str(err.get("cause") or ""),
        counter_measure=str(err.get("counterMeasure") or ""),
    )
