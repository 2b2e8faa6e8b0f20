"""Cybozu Garoon REST + SOAP client with typed errors."""

from kakehashi.garoon_client.client import GaroonClient, RepeatScope
from kakehashi.garoon_client.errors import (
    GaroonError,
    InvalidRequest,
    LoginFailed,
    NotFound,
    PermissionDenied,
    ProtocolError,
    ServerError,
    Throttled,
    TransportError,
    error_for,
    error_from_rest,
)

__all__ = [
    "GaroonClient",
    "GaroonError",
    "InvalidRequest",
    "LoginFailed",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RepeatScope",
    "ServerError",
    "Throttled",
    "TransportError",
    "error_for",
    "error_from_rest",
]
