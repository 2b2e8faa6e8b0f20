"""Message handlers of the renewal service, one per queue."""

from __future__ import annotations

from kakehashi.bus.api import Handler
from kakehashi.contracts import routing
from kakehashi.runtime import ServiceContext


def make_handlers(ctx: ServiceContext, lifecycle: Handler) -> dict[str, Handler]:
    """Queue name (from kakehashi.contracts.routing) -> handler."""
    return {routing.RENEWAL_LIFECYCLE: lifecycle}
