"""`Sandbox`: simulators, store, services and subscriptions, started and stopped as one."""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import time
import uuid

from kakehashi.cli.sandbox.clients import graph_client, http_session
from kakehashi.cli.sandbox.company import Company, default_company
from kakehashi.cli.sandbox.manifest import Manifest
from kakehashi.cli.sandbox.options import SandboxOptions, choose_amqp_url
from kakehashi.cli.sandbox.processes import ServiceProcesses
from kakehashi.cli.sandbox.render import build_manifest
from kakehashi.cli.sandbox.seed import seed_garoon, seed_graph, seed_store, tenant_document
from kakehashi.cli.sandbox.subscriptions import subscribe_all
from kakehashi.cli.sandbox.vhost_check import busy_message, consumers_on
from kakehashi.cli.services import UP, load
from kakehashi.contracts.state import UserLink
from kakehashi.garoon_sim import GaroonSimServer
from kakehashi.graph_sim import GraphSimServer
from kakehashi.mongo_sim import MongoSimServer
from kakehashi.runtime import ServiceHost, Settings, load_settings, resolve_key
from kakehashi.runtime.settings import mask_url
from kakehashi.store import Store, generate_key, open_store

log = logging.getLogger("kakehashi.sandbox")

READY_TIMEOUT = 60.0
RENEWAL_GRACE = 10.0


class SandboxError(Exception):
    """The sandbox cannot start as configured; the message says why."""


class Sandbox:
    """`async with Sandbox(options) as sb:` -> sb.manifest; everything stops on exit."""

    def __init__(self, options: SandboxOptions, company: Company | None = None) -> None:
        self.options = options
        self.company = company or default_company(options.users)
        self.amqp_url = choose_amqp_url(options.amqp_url)
        self.mongodb_url = options.mongodb_url or os.environ.get("KAKEHASHI_MONGODB_URL") or None
        # Service processes need a store they share: without a MongoDB, the sandbox serves an
        # in-memory one over the wire protocol (its URL is known once it listens, in start()).
        self.mongo_sim: MongoSimServer | None = None
        if options.processes and not self.mongodb_url:
            self.mongo_sim = MongoSimServer(options.host)
        if options.processes and not self.amqp_url:
            raise SandboxError("each service in its own process needs RabbitMQ")
        state = options.state_dir.resolve()
        self.graph = GraphSimServer(
            options.host, options.graph_port, tls=True, state_dir=state / "graph-sim"
        )
        self.garoon = GaroonSimServer(options.host, options.garoon_port)
        self.store_url = self.mongodb_url or f"memory://sandbox-{uuid.uuid4().hex[:8]}"
        self.host: ServiceHost | None = None
        self.processes: ServiceProcesses | None = None
        self.store: Store | None = None
        self._manifest: Manifest | None = None
        # Secrets at rest: the configured key, else one for this run (shared with service
        # processes through their environment).
        configured = os.environ.get("KAKEHASHI_ENCRYPTION_KEY") or os.environ.get(
            "KAKEHASHI_ENCRYPTION_KEY_FILE"
        )
        self.key = (
            resolve_key(load_settings("sandbox"))
            if configured
            else base64.b64decode(generate_key())
        )

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            raise RuntimeError("the sandbox has not started")
        return self._manifest

    def ingress_url(self) -> str:
        return f"http://{self.options.host}:{self.options.service_ports['ingress']}"

    # ---------------------------------------------------------------- start
    async def start(self) -> Manifest:
        started = time.monotonic()
        if self.amqp_url and self.options.services:
            busy = await consumers_on(self.amqp_url)
            if busy:
                raise SandboxError(busy_message(busy))
        if self.mongo_sim is not None:
            await self.mongo_sim.start()
            self.mongodb_url = self.store_url = self.mongo_sim.url
        await self.graph.start()
        seed_graph(self.graph.sim, self.company)
        await self.garoon.start()
        seed_garoon(self.garoon.sim, self.company, self.ingress_url())
        tenant = tenant_document(self.company, self.graph.base_url, self.garoon.base_url)
        self.store = await open_store(self.store_url, key=self.key)
        await self.store.ensure_indexes()
        links = await seed_store(self.store, tenant, self.company)
        if not self.options.services:
            self._manifest = build_manifest(self, {})
            self._manifest.write(self.options.manifest_path)
            return self._manifest
        pids = await self._start_services()
        self._manifest = build_manifest(self, pids)
        subscriptions, by = await self._subscriptions(links)
        self._manifest = self._manifest.model_copy(
            update={"subscriptions": subscriptions, "subscriptions_by": by}
        )
        self._manifest.write(self.options.manifest_path)
        log.info("sandbox ready", extra={"seconds": round(time.monotonic() - started, 2)})
        return self._manifest

    def settings(self) -> Settings:
        return load_settings(
            "kakehashi",
            amqp_url=self.amqp_url,
            mongodb_url=self.mongodb_url,
            http_host=self.options.host,
            http_ports=self.options.service_ports,
            ca_file=str(self.graph.ca_file),
            public_base_url=self.ingress_url(),
            admin_token=self.company.admin_token,
            log_level=self.options.log_level,
            log_format="text",
            drain_timeout=10.0,
        )

    async def _start_services(self) -> dict[str, int]:
        if self.options.processes:
            self.processes = ServiceProcesses(self.service_env(), self.options)
            return await self.processes.start(READY_TIMEOUT)
        self.host = ServiceHost([load(name) for name in UP], self.settings(), store=self.store)
        await self.host.start()
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.host.is_ready:
            if time.monotonic() > deadline:
                raise SandboxError(f"services not ready: {self.host.not_ready_reason}")
            await asyncio.sleep(0.05)
        return {}

    async def restart_services(self, *, kill: bool = False) -> None:
        """Stop every service and start them again on the same store and broker: what is in
        flight stays in RabbitMQ, unacknowledged, and is delivered to the new consumers.
        `kill`: in-process services crash instead of draining (processes are always killed)."""
        if self.processes is not None:
            for name in list(self.processes.procs):
                await self.processes.kill(name)
                await self.processes.start_one(name)
            await self.processes.wait_ready(list(self.processes.procs), READY_TIMEOUT)
            return
        if self.host is None:
            raise RuntimeError("the services are not running")
        await (self.host.kill() if kill else self.host.shutdown())
        self.store = await open_store(self.store_url, key=self.key)
        await self._start_services()

    def service_env(self) -> dict[str, str]:
        """The environment of `kakehashi service NAME` processes (ports added per service)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
        secrets = self.options.state_dir.resolve() / "no-secrets"
        secrets.mkdir(parents=True, exist_ok=True)
        env |= {
            "KAKEHASHI_AMQP_URL": self.amqp_url or "",
            "KAKEHASHI_MONGODB_URL": self.mongodb_url or "",
            "KAKEHASHI_ENCRYPTION_KEY": base64.b64encode(self.key).decode(),
            "KAKEHASHI_HTTP_HOST": self.options.host,
            "KAKEHASHI_CA_FILE": str(self.graph.ca_file),
            "KAKEHASHI_PUBLIC_BASE_URL": self.ingress_url(),
            "KAKEHASHI_ADMIN_TOKEN": self.company.admin_token,
            "KAKEHASHI_LOG_LEVEL": self.options.log_level,
            "KAKEHASHI_SECRETS_DIR": str(secrets),
            "KAKEHASHI_DRAIN_TIMEOUT": "10",
        }
        return env

    async def _subscriptions(self, links: list[UserLink]) -> tuple[list[str], str]:
        """The renewal service creates one per mailbox on its first tick; if it has not within
        RENEWAL_GRACE seconds (not deployed, or an older build), the sandbox creates them."""
        assert self.store is not None
        store = self.store
        deadline = time.monotonic() + RENEWAL_GRACE
        while time.monotonic() < deadline:
            found = [await store.subscriptions.by_user_link(link.id) for link in links]
            if all(found):
                return [sub.id for subs in found for sub in subs], "renewal"
            await asyncio.sleep(0.05)
        log.warning("no subscriptions from the renewal service: the sandbox creates them")
        async with http_session(self.manifest) as http, graph_client(self.manifest, http) as graph:
            ids = await subscribe_all(
                graph,
                store,
                [link for link in links if not await store.subscriptions.by_user_link(link.id)],
                f"{self.ingress_url()}/webhooks/graph",
                self.company.client_state,
            )
        return ids, "sandbox"

    def describe_bus(self) -> str:
        return f"rabbitmq {mask_url(self.amqp_url)}" if self.amqp_url else "memory"

    def describe_store(self) -> str:
        if self.mongo_sim is not None:
            return f"in-memory MongoDB simulator {self.mongodb_url}"
        return f"mongodb {mask_url(self.mongodb_url)}" if self.mongodb_url else "memory"

    # ---------------------------------------------------------------- stop
    async def stop(self) -> None:
        """Services first (they drain against live simulators), then the simulators."""
        if self.host is not None:
            await self.host.shutdown()
            self.host = None
        if self.processes is not None:
            await self.processes.stop()
            self.processes = None
        if self.store is not None:
            await self.store.close()
            self.store = None
        if self.mongo_sim is not None:
            await self.mongo_sim.stop()
        await self.garoon.stop()
        await self.graph.sim.notifier.aclose()
        await self.graph.stop()

    async def __aenter__(self) -> Sandbox:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
