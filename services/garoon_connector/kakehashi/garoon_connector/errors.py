"""Garoon failures -> what the bus should do with the message."""

from __future__ import annotations

import logging

from kakehashi.bus.api import Poison, Retry
from kakehashi.garoon_client import (
    GaroonError,
    InvalidRequest,
    LoginFailed,
    PermissionDenied,
)

log = logging.getLogger("kakehashi.garoon_connector")

# Credentials and rights are fixed by an administrator, not by waiting a few seconds: retry
# slowly so the queue is not hammered while the alert is being handled.
CREDENTIALS_RETRY_DELAY = 300.0


def bus_error(exc: GaroonError, *, tenant_id: str, what: str) -> Exception:
    """The exception a handler raises for `exc` (Retry or Poison)."""
    if isinstance(exc, LoginFailed | PermissionDenied):
        log.error(
            "Garoon refused the service account: check the tenant's Garoon login/password and "
            "that it may view and edit the linked users' schedules",
            extra={"tenant_id": tenant_id, "what": what, "error": str(exc)},
        )
        return Retry(f"{what}: {exc}", delay=CREDENTIALS_RETRY_DELAY)
    if isinstance(exc, InvalidRequest):
        return Poison(f"{what}: Garoon rejected the request: {exc}")
    # 5xx, throttling after the client's own retries, transport and protocol errors.
    return Retry(f"{what}: {exc}")
