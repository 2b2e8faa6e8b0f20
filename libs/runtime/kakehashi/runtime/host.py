"""Runs one or more services in a process: HTTP first, then store and bus, drain on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import ssl
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import aiohttp
from aiohttp import web

from kakehashi.bus import open_bus
from kakehashi.bus.api import Bus, Handler, QueueSpec
from kakehashi.contracts import Message
from kakehashi.runtime.health import READINESS, health_routes
from kakehashi.runtime.keys import resolve_key
from kakehashi.runtime.metrics import SERVICE_READY
from kakehashi.runtime.service import Service, ServiceContext
from kakehashi.runtime.settings import Settings
from kakehashi.store import Store, open_store

log = logging.getLogger("kakehashi.runtime.host")

CONTEXT = web.AppKey("kakehashi.context", ServiceContext)

MAX_BACKOFF = 5.0
CONNECT_TIMEOUT = 30.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def client_session(settings: Settings) -> aiohttp.ClientSession:
    """The shared outgoing HTTP session; trusts settings.ca_file too (the simulators' CA)."""
    tls = ssl.create_default_context()
    if settings.ca_file:
        tls.load_verify_locations(settings.ca_file)
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=tls), timeout=aiohttp.ClientTimeout(total=60)
    )


class ServiceHost:
    """Owns bus, store, HTTP session and one HTTP server per service.

    Lifecycle: `start()` serves health at once and brings the dependencies up in the
    background with back-off; `shutdown()` drains; `run()` does both around SIGTERM/SIGINT.
    """

    def __init__(
        self,
        services: Sequence[Service],
        settings: Settings,
        *,
        bus: Bus | None = None,
        store: Store | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if not services:
            raise ValueError("a host needs at least one service")
        self.services = list(services)
        self.settings = settings
        # None: opened in start() from the settings (key, store URL, broker URL).
        self._bus = bus
        self._store = store
        self.clock = clock
        self.ports: dict[str, int] = {}
        self.forced = False
        self._ready = False
        self._draining = False
        self._reason = "starting"
        self._failed = asyncio.Event()
        self._runners: list[web.AppRunner] = []
        self._started: list[Service] = []
        self._bring_up: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None
        self._contexts: dict[str, ServiceContext] = {}

    @property
    def bus(self) -> Bus:
        if self._bus is None:
            raise RuntimeError("the host has not started")
        return self._bus

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the host has not started")
        return self._store

    # ---------------------------------------------------------------- readiness
    @property
    def is_ready(self) -> bool:
        return self._ready and not self._draining and self.bus.is_ready

    @property
    def not_ready_reason(self) -> str:
        if self._draining:
            return "draining: shutting down"
        if self._ready and not self.bus.is_ready:
            return "message broker connection lost"
        return self._reason

    # ---------------------------------------------------------------- start
    async def start(self) -> None:
        """Open bus and store objects (no I/O yet), serve HTTP, then connect in the background.

        Raises ConfigurationError / EncryptionKeyError when the key is missing or malformed.
        """
        await self._open_dependencies()
        self._http = client_session(self.settings)
        for service in self.services:
            ctx = ServiceContext(
                settings=self.settings,
                bus=self.bus,
                store=self.store,
                http=self._http,
                clock=self.clock,
                log=logging.getLogger(f"kakehashi.{service.name}"),
            )
            self._contexts[service.name] = ctx
            SERVICE_READY.labels(service=service.name).set_function(
                lambda: 1.0 if self.is_ready else 0.0
            )
            await self._serve_http(service, ctx)
        self._bring_up = asyncio.create_task(self._bring_up_dependencies(), name="bring-up")

    async def _open_dependencies(self) -> None:
        if self._store is None:
            key = resolve_key(self.settings)
            self._store = await open_store(self.settings.mongodb_url, key=key)
            if self.settings.mongodb_url is None:
                log.warning("no KAKEHASHI_MONGODB_URL: in-memory store, state is lost at exit")
        if self._bus is None:
            self._bus = open_bus(self.settings.amqp_url, processed=self._store.processed)
            if self.settings.amqp_url is None:
                log.warning("no KAKEHASHI_AMQP_URL: in-memory bus, messages stay in this process")

    async def _serve_http(self, service: Service, ctx: ServiceContext) -> None:
        app = web.Application()
        app[READINESS] = self
        app[CONTEXT] = ctx
        app.add_routes(health_routes())
        app.add_routes(service.routes(ctx))
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        self._runners.append(runner)
        port = self.settings.port_for(service.name)
        site = web.TCPSite(runner, self.settings.http_host, port)
        await site.start()
        self.ports[service.name] = _bound_port(runner, port)
        log.info(
            "http listening",
            extra={
                "service_name": service.name,
                "host": self.settings.http_host,
                "port": self.ports[service.name],
            },
        )

    async def _bring_up_dependencies(self) -> None:
        try:
            self._reason = "connecting to the store"
            await self._retry("store", self._connect_store)
            self._reason = "connecting to the message broker"
            await self._retry("message broker", self.bus.connect)
            consumers = self._consumers()
            self._reason = "declaring the message topology"
            await self._retry("topology", lambda: self.bus.declare([s for s, _ in consumers]))
            self._reason = "starting services"
            for service in self.services:
                await service.start(self._contexts[service.name])
                self._started.append(service)
            for spec, handler in consumers:
                await self.bus.consume(spec, handler)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("start-up failed")
            self._reason = "start-up failed"
            self._failed.set()
            return
        self._ready = True
        self._watch = asyncio.create_task(self._watch_broker(), name="watch-broker")
        log.info(
            "ready",
            extra={
                "services": [s.name for s in self.services],
                "queues": [s.name for s, _ in consumers],
            },
        )

    async def _watch_broker(self) -> None:
        """Log once when the broker connection drops and once when it is back."""
        connected = True
        while True:
            await asyncio.sleep(1.0)
            if self.bus.is_ready != connected:
                connected = self.bus.is_ready
                if connected:
                    log.info("message broker connection restored")
                else:
                    log.warning("message broker connection lost: not ready until it is back")

    async def _connect_store(self) -> None:
        await self.store.ensure_indexes()
        await self.store.ping()

    def _consumers(self) -> list[tuple[QueueSpec, Handler]]:
        found: list[tuple[QueueSpec, Handler]] = []
        for service in self.services:
            for spec, handler in service.consumers(self._contexts[service.name]):
                found.append((spec, self._instrument(handler)))
        return found

    def _instrument(self, handler: Handler) -> Handler:
        delay = self.settings.test_handler_delay
        if not delay:
            return handler

        async def slowed(message: Message) -> None:
            # Test-only (KAKEHASHI_TEST_HANDLER_DELAY): keeps a message in flight on purpose.
            log.debug("test delay: holding message", extra={"message_id": message.message_id})
            await asyncio.sleep(delay)
            await handler(message)

        return slowed

    async def _retry(self, what: str, action: Callable[[], Awaitable[None]]) -> None:
        """Retry with capped exponential back-off; log once when down, once when back."""
        delay, attempt = 0.25, 0
        while True:
            attempt += 1
            try:
                await asyncio.wait_for(action(), CONNECT_TIMEOUT)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:
                self._reason = f"{what} unavailable: {str(exc) or type(exc).__name__}"
                if attempt == 1 or attempt % 20 == 0:
                    log.warning(
                        "%s unavailable, retrying",
                        what,
                        extra={"attempt": attempt, "error": str(exc)},
                    )
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, MAX_BACKOFF)
            else:
                if attempt > 1:
                    log.info("%s available again", what, extra={"attempt": attempt})
                return

    # ---------------------------------------------------------------- stop
    async def kill(self) -> None:
        """As a crash would (tests): the bus drops its connections and in-flight handlers
        mid-message when it can, then everything else stops without a drain."""
        kill = getattr(self._bus, "kill", None)
        if kill is not None:
            await kill()
        await self.shutdown()

    async def shutdown(self) -> None:
        """Mark not ready, drain consumers, stop services, close everything. Idempotent."""
        if self._draining:
            return
        self._draining = True
        log.info("draining")
        for task in (self._bring_up, self._watch):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._bus is not None:
            await _quietly("stop consuming", self._bus.stop_consuming())
        for service in reversed(self._started):
            await _quietly(f"stop {service.name}", service.stop())
        if self._bus is not None:
            await _quietly("close bus", self._bus.close())
        if self._store is not None:
            await _quietly("close store", self._store.close())
        if self._http is not None:
            await _quietly("close http session", self._http.close())
        for runner in self._runners:
            await _quietly("stop http server", runner.cleanup())
        log.info("stopped")

    async def run(self) -> int:
        """Run until SIGTERM/SIGINT; 0 after a clean drain, 1 if forced or start-up failed."""
        loop = asyncio.get_running_loop()
        stop, force = asyncio.Event(), asyncio.Event()

        def on_signal(name: str) -> None:
            if stop.is_set():
                log.warning("second %s: forcing exit", name)
                force.set()
            else:
                log.info("%s received: shutting down", name)
                stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal, sig.name)
        try:
            try:
                await self.start()
            except OSError as exc:  # typically the port is taken
                log.error("cannot start: %s", exc)
                await self.shutdown()
                return 1
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._failed.wait())]
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            draining = asyncio.create_task(self.shutdown())
            forcing = asyncio.create_task(force.wait())
            done, _ = await asyncio.wait(
                {draining, forcing},
                timeout=self.settings.drain_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
            forcing.cancel()
            if draining not in done:
                self.forced = True
                log.error(
                    "drain did not finish: exiting anyway",
                    extra={"drain_timeout": self.settings.drain_timeout},
                )
                return 1
            return 1 if self._failed.is_set() else 0
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)


async def _quietly(what: str, step: Awaitable[object]) -> None:
    """Shutdown goes on past a failing step; the failure is logged."""
    try:
        await step
    except Exception:
        log.exception("%s failed", what)


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
