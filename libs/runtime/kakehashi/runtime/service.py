"""What a service is: queues it consumes, HTTP routes it adds, background work it runs."""

from __future__ import annotations

import abc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import aiohttp
from aiohttp import web

from kakehashi.bus.api import Bus, Handler, QueueSpec
from kakehashi.runtime.settings import Settings
from kakehashi.store import Store


@dataclass
class ServiceContext:
    """Shared resources handed to a service; the host owns and closes all of them."""

    settings: Settings
    bus: Bus
    store: Store
    http: aiohttp.ClientSession
    clock: Callable[[], datetime]
    log: logging.Logger


class Service(abc.ABC):
    """Thin glue: protocol and decisions live in libraries, a service wires them to the bus."""

    name: ClassVar[str]

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        """Queues this service consumes, each with its handler (declared by the host)."""
        return []

    def routes(self, ctx: ServiceContext) -> list[web.RouteDef]:
        """Extra HTTP routes served next to /healthz, /readyz and /metrics."""
        return []

    async def start(self, ctx: ServiceContext) -> None:  # noqa: B027 - optional hook
        """Start background tasks (sweeps, renewals); called once bus and store are up."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Stop background tasks; called after the consumers have drained."""
