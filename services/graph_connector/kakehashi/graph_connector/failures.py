"""What a failed Graph call means for the message: try later (Retry) or never (Poison).

Throttling is handled inside the client (Retry-After, per-mailbox pacing); what reaches here has
outlasted its retries. Authentication problems are configuration problems: they are logged with
the AADSTS code an admin can look up, and retried slowly so a fixed secret resumes the flow.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from kakehashi.bus import Poison, Retry
from kakehashi.contracts import routing
from kakehashi.graph_client import (
    AuthError,
    BadRequest,
    Conflict,
    Forbidden,
    GraphError,
    NotFound,
    PreconditionFailed,
    ProtocolError,
    Throttled,
)
from kakehashi.graph_connector.metrics import AUTH_FAILURES
from kakehashi.runtime.queues import SLOW_RETRY, queue_spec

# The queues' last retry tier (kakehashi.runtime.queues) is what these delays land in.
AUTH_RETRY_DELAY = SLOW_RETRY
FORBIDDEN_RETRY_DELAY = SLOW_RETRY
RETRY_DELAYS = queue_spec(routing.GRAPH_CONNECTOR_COMMANDS).retry_delays


def translate(exc: Exception, log: logging.Logger, extra: dict[str, object]) -> Exception:
    """The bus exception to raise instead of `exc`."""
    if isinstance(exc, AuthError):
        code = exc.aadsts
        AUTH_FAILURES.labels(str(code) if code is not None else "").inc()
        log.error(
            "Graph authentication failed%s: %s",
            f" (AADSTS{code})" if code is not None else "",
            exc.description,
            extra={**extra, "aadsts": code, "error_type": type(exc).__name__},
        )
        return Retry(f"auth: {type(exc).__name__} AADSTS{code}", delay=AUTH_RETRY_DELAY)
    if isinstance(exc, Forbidden):
        log.error("Graph refused access (permission or mailbox scope): %s", exc, extra=extra)
        return Retry(f"forbidden: {exc}", delay=FORBIDDEN_RETRY_DELAY)
    if isinstance(exc, NotFound):  # only the mailbox-level 404s get this far
        log.error("the mailbox is missing in Microsoft 365: %s", exc, extra=extra)
        return Retry(f"mailbox missing: {exc}", delay=FORBIDDEN_RETRY_DELAY)
    if isinstance(exc, Throttled):
        return Retry(f"throttled: {exc}", delay=exc.retry_after)
    if isinstance(exc, BadRequest | ProtocolError):
        log.error("Graph refused the request as malformed: %s", exc, extra=extra)
        return Poison(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, Conflict | PreconditionFailed):
        return Retry(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, GraphError):  # 5xx, transport, anything else from Graph
        return Retry(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, ValidationError | KeyError | ValueError | TypeError | AssertionError):
        log.exception("cannot process message", extra=extra)
        return Poison(f"{type(exc).__name__}: {exc}")
    return exc
