"""Fixtures: a seeded simulator over verified HTTPS and a small Graph client for the tests."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from kakehashi.graph_sim import GraphSimServer, GraphSimulator

SCOPE = "https://graph.microsoft.com/.default"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


@dataclass
class Seeded:
    tenant_id: str
    client_id: str
    secret: str
    alice: str  # user ids
    bob: str
    carol: str


class Graph:
    """Minimal raw client: token via the token endpoint, then JSON calls with a bearer token."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, seeded: Seeded) -> None:
        self.session = session
        self.base_url = base_url
        self.seeded = seeded
        self.token: str | None = None

    async def fetch_token(self, client_id: str | None = None, secret: str | None = None) -> Reply:
        s = self.seeded
        data = {
            "grant_type": "client_credentials",
            "client_id": client_id or s.client_id,
            "client_secret": secret or s.secret,
            "scope": SCOPE,
        }
        async with self.session.post(
            f"{self.base_url}/{s.tenant_id}/oauth2/v2.0/token", data=data
        ) as resp:
            return Reply(resp.status, await resp.json(), dict(resp.headers))

    async def login(self) -> str:
        reply = await self.fetch_token()
        assert reply.status == 200, reply.body
        self.token = reply.body["access_token"]
        return self.token

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        token: str | None = None,
    ) -> Reply:
        tok = self.token if token is None else token
        hdrs = {"Authorization": f"Bearer {tok}"} if tok else {}
        hdrs.update(headers or {})
        url = path if path.startswith("http") else f"{self.base_url}/v1.0{path}"
        async with self.session.request(method, url, json=body, headers=hdrs) as resp:
            raw = await resp.read()
            parsed: Any = None
            if raw:
                try:
                    parsed = await resp.json(content_type=None)
                except ValueError:
                    parsed = raw.decode()
            return Reply(resp.status, parsed, dict(resp.headers))

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return await self.call("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return await self.call("PATCH", path, body, **kw)

    async def delete(self, path: str, **kw: Any) -> Reply:
        return await self.call("DELETE", path, **kw)


def seed(sim: GraphSimulator) -> Seeded:
    tenant = sim.add_tenant("contoso.example")
    app = sim.add_app(tenant.id, secret="s3cret")
    alice = sim.add_user(tenant.id, "alice@contoso.example", display_name="Alice Sato")
    bob = sim.add_user(tenant.id, "bob@contoso.example", display_name="Bob Suzuki")
    carol = sim.add_user(tenant.id, "carol@contoso.example", display_name="Carol Tanaka")
    sim.add_room(tenant.id, "room-a@contoso.example", "Room A", capacity=6)
    return Seeded(tenant.id, app.client_id, "s3cret", alice.id, bob.id, carol.id)


@pytest.fixture
async def server() -> AsyncIterator[GraphSimServer]:
    async with GraphSimServer() as srv:
        srv.sim.set_switches(
            notification_delay_ms=10, notification_batch_window_ms=10, notification_retry_base_ms=50
        )
        yield srv


@pytest.fixture
def seeded(server: GraphSimServer) -> Seeded:
    return seed(server.sim)


@pytest.fixture
def ssl_ctx(server: GraphSimServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


@pytest.fixture
async def session(ssl_ctx: ssl.SSLContext) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ssl_ctx)) as s:
        yield s


@pytest.fixture
async def graph(session: aiohttp.ClientSession, server: GraphSimServer, seeded: Seeded) -> Graph:
    g = Graph(session, server.base_url, seeded)
    await g.login()
    return g


def event_body(subject: str = "Sync test", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subject": subject,
        "start": {"dateTime": "2026-05-12T10:00:00", "timeZone": "Tokyo Standard Time"},
        "end": {"dateTime": "2026-05-12T11:00:00", "timeZone": "Tokyo Standard Time"},
    }
    body.update(extra)
    return body
