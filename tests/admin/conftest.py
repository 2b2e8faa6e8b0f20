"""A live admin service (ServiceHost, in-memory store and bus) next to both simulators."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from kakehashi.admin import AdminService
from kakehashi.cli.main import main as cli_main
from kakehashi.garoon_sim import GaroonSimServer
from kakehashi.graph_sim import GraphSimServer
from kakehashi.graph_sim.model import App
from kakehashi.runtime import ServiceHost, load_settings
from kakehashi.store import Store, open_store
from tests.support.waiting import wait_until

TOKEN = "admin-token-for-tests"
SECRET = "right-secret"
GAROON_PASSWORD = "svc-password"


@dataclass
class Env:
    host: ServiceHost
    store: Store
    url: str
    http: aiohttp.ClientSession
    graph: GraphSimServer
    garoon: GaroonSimServer
    entra_tenant: str
    app: App

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = TOKEN,
        data: bytes | None = None,
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with self.http.request(
            method, self.url + path, json=body, data=data, headers=headers
        ) as resp:
            return resp.status, await resp.json()

    async def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, data = await self.call(method, path, body, **kw)
        assert 200 <= status < 300, (status, data)
        return data

    def graph_credentials(self, **override: Any) -> dict[str, Any]:
        """authOfficeCalendar.json's three fields plus the simulator's endpoints."""
        return {
            "tenant_id": self.entra_tenant,
            "client_id": self.app.client_id,
            "client_secret": SECRET,
            "authority_host": self.graph.base_url,
            "graph_base_url": self.graph.base_url,
            **override,
        }

    def garoon_credentials(self, **override: Any) -> dict[str, Any]:
        return {
            "base_url": self.garoon.base_url,
            "login": "kakehashi-svc",
            "password": GAROON_PASSWORD,
            **override,
        }

    async def configured(self, tenant: str = "acme") -> str:
        """A tenant with working credentials on both sides."""
        await self.ok("PUT", f"/api/v1/tenants/{tenant}", {"name": "Acme"})
        await self.ok("PUT", f"/api/v1/tenants/{tenant}/graph", self.graph_credentials())
        await self.ok("PUT", f"/api/v1/tenants/{tenant}/garoon", self.garoon_credentials())
        return tenant

    async def cli(self, *argv: str, token: str = TOKEN) -> int:
        """Run `kakehashi ARGV` in a thread: it blocks on HTTP while this loop serves it."""
        full: Sequence[str] = [*argv, "--url", self.url, "--token", token]
        return await asyncio.to_thread(cli_main, list(full))


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with GraphSimServer(port=0, tls=True) as graph, GaroonSimServer(port=0) as garoon:
        entra = graph.sim.add_tenant("contoso.example")
        app = graph.sim.add_app(entra.id, secret=SECRET)
        graph.sim.add_user(entra.id, "sato@contoso.example")
        graph.sim.add_user(entra.id, "suzuki@contoso.example", mail="h.suzuki@contoso.example")
        garoon.sim.add_user("kakehashi-svc", password=GAROON_PASSWORD)
        garoon.sim.add_user("sato", "佐藤")
        garoon.sim.add_user("suzuki", "鈴木")
        settings = load_settings(
            "admin",
            http_host="127.0.0.1",
            http_port=0,
            admin_token=TOKEN,
            ca_file=str(graph.ca_file),
        )
        store = await open_store(None, key=os.urandom(32))
        host = ServiceHost([AdminService()], settings, store=store)
        await host.start()
        try:
            await wait_until(lambda: host.is_ready, message="admin service ready")
            async with aiohttp.ClientSession() as http:
                yield Env(
                    host,
                    store,
                    f"http://127.0.0.1:{host.ports['admin']}",
                    http,
                    graph,
                    garoon,
                    entra.id,
                    app,
                )
        finally:
            await host.shutdown()
