"""A ServiceContext for a service under test, as the runtime would hand it over."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import aiohttp

from kakehashi.bus.api import Bus
from kakehashi.runtime import ServiceContext, Settings
from kakehashi.store import Store


def service_context(
    settings: Settings,
    *,
    bus: Bus,
    store: Store,
    http: aiohttp.ClientSession,
    clock: Callable[[], datetime] | None = None,
) -> ServiceContext:
    """The context of `settings.service_name`, logging as `kakehashi.<service name>`."""
    return ServiceContext(
        settings=settings,
        bus=bus,
        store=store,
        http=http,
        clock=(lambda: datetime.now(UTC)) if clock is None else clock,
        log=logging.getLogger(f"kakehashi.{settings.service_name}"),
    )
