"""The scenario harness: a whole sandbox, driven only through the simulators' public HTTP APIs.

Scenarios act "as a person" (Garoon screen, Outlook) through the control endpoints, which fire
the same browser hints and change notifications a person would, and look at the other side
through the real Garoon REST and Graph APIs with the tenant's credentials.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from kakehashi.cli.sandbox.clients import garoon_client, graph_client, http_session
from kakehashi.cli.sandbox.manifest import Manifest
from kakehashi.cli.sandbox.options import SandboxOptions
from kakehashi.cli.sandbox.reader import Window, read_graph
from kakehashi.cli.sandbox.stack import Sandbox
from kakehashi.cli.sandbox.verifying import render_text, verify
from kakehashi.graph_client import GraphClient
from tests.support.waiting import wait_until

TOKYO = ZoneInfo("Asia/Tokyo")
# Generous: a change may wait out one of the bus's retry tiers (up to 30 s); scenarios check
# what arrives, `make bench` how fast.
SYNC_TIMEOUT = 45.0


def slot(days: int = 1, hour: int = 10, minutes: int = 60) -> tuple[datetime, datetime]:
    """A time slot `days` from today, local Tokyo time."""
    day = datetime.now(TOKYO).date() + timedelta(days=days)
    start = datetime(day.year, day.month, day.day, hour, tzinfo=TOKYO)
    return start, start + timedelta(minutes=minutes)


def garoon_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat(), "timeZone": "Asia/Tokyo"}


def outlook_time(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "Tokyo Standard Time"}


class Harness:
    def __init__(self, sandbox: Sandbox, http: aiohttp.ClientSession, graph: GraphClient) -> None:
        self.sandbox = sandbox
        self.m: Manifest = sandbox.manifest
        self.http = http
        self.graph = graph

    # ------------------------------------------------------------- control endpoints
    async def _call(self, method: str, url: str, body: Any = None) -> Any:
        async with self.http.request(method, url, json=body) as resp:
            text = await resp.text()
            assert resp.status < 300, f"{method} {url}: {resp.status} {text[:500]}"
            return await resp.json() if text else None

    async def garoon_person(self, login: str, action: str, body: dict[str, Any]) -> Any:
        """A person in Garoon's screen: create / edit / delete / attend / leave / teams."""
        return await self._call(
            "POST", f"{self.m.garoon.control_url}/person/{login}/{action}", body
        )

    async def outlook_create(self, email: str, body: dict[str, Any]) -> Any:
        return await self._call("POST", f"{self.m.graph.control_url}/people/{email}/events", body)

    async def outlook_update(self, email: str, event_id: str, body: dict[str, Any]) -> Any:
        url = f"{self.m.graph.control_url}/people/{email}/events/{event_id}"
        return await self._call("PATCH", url, body)

    async def outlook_delete(self, email: str, event_id: str) -> None:
        await self._call("DELETE", f"{self.m.graph.control_url}/people/{email}/events/{event_id}")

    async def garoon_control(self, method: str, path: str, body: Any = None) -> Any:
        return await self._call(method, f"{self.m.garoon.control_url}{path}", body)

    async def graph_control(self, method: str, path: str, body: Any = None) -> Any:
        return await self._call(method, f"{self.m.graph.control_url}{path}", body)

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        """The admin API, under the sandbox tenant: `/policy`, `/audit/{id}`, ..."""
        url = f"{self.m.services['admin'].url}/api/v1/tenants/{self.m.tenant.id}{path}"
        headers = {"Authorization": f"Bearer {self.m.admin_token}"}
        async with self.http.request(method, url, json=body, headers=headers) as resp:
            text = await resp.text()
            assert resp.status < 300, f"{method} {url}: {resp.status} {text[:500]}"
            return await resp.json() if text else None

    async def graph_missed(self, login: str) -> None:
        """Graph's `missed` lifecycle event on `login`'s subscription: a resync is owed."""
        [sub] = [
            s
            for s in await self.graph_control("GET", "/subscriptions")
            if s["mailbox"] == self.m.user(login).graph_id
        ]
        await self.graph_control(
            "POST", f"/subscriptions/{sub['id']}/lifecycle", {"lifecycleEvent": "missed"}
        )

    # ------------------------------------------------------------- reading, real APIs
    def window(self) -> Window:
        return Window.around_today(self.m.tenant.time_zone, 0, 60)

    async def garoon_events(self, login: str) -> list[dict[str, Any]]:
        client = garoon_client(self.m, self.http, self.m.user(login))
        window = self.window()
        return await client.list_events(range_start=window.start, range_end=window.end)

    async def outlook_events(self, email: str) -> list[dict[str, Any]]:
        return await read_graph(self.graph, self.m.user(email), self.window())

    async def wait_garoon(
        self, login: str, subject: str, *, count: int = 1, timeout: float = SYNC_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Until `login`'s Garoon schedule holds exactly `count` events titled `subject`."""
        found: list[dict[str, Any]] = []

        async def probe() -> bool:
            nonlocal found
            found = [e for e in await self.garoon_events(login) if e.get("subject") == subject]
            return len(found) == count

        await wait_until(probe, timeout=timeout, message=f"{count} x {subject!r} in Garoon")
        return found

    async def wait_outlook(
        self, email: str, subject: str, *, count: int = 1, timeout: float = SYNC_TIMEOUT
    ) -> list[dict[str, Any]]:
        """Until `email`'s calendar holds exactly `count` events titled `subject`."""
        found: list[dict[str, Any]] = []

        async def probe() -> bool:
            nonlocal found
            found = [e for e in await self.outlook_events(email) if e.get("subject") == subject]
            return len(found) == count

        await wait_until(probe, timeout=timeout, message=f"{count} x {subject!r} in Outlook")
        return found

    async def verify(self, days: int = 60) -> dict[str, Any]:
        return await verify(self.m, days=days)

    async def wait_converged(self, timeout: float = SYNC_TIMEOUT, days: int = 60) -> dict[str, Any]:
        """Every scenario ends here: a clean `kakehashi verify` (over `days` from today)."""
        last: dict[str, Any] = {}

        async def probe() -> bool:
            nonlocal last
            last = await self.verify(days)
            return bool(last["clean"])

        try:
            await wait_until(probe, timeout=timeout, interval=0.1, message="a clean verify")
        except AssertionError:
            raise AssertionError(f"not converged after {timeout}s:\n{render_text(last)}") from None
        return last


async def open_harness(sandbox: Sandbox) -> tuple[Harness, Any]:
    """The harness plus the context stack that closes its HTTP session and Graph client."""
    from contextlib import AsyncExitStack

    stack = AsyncExitStack()
    http = await stack.enter_async_context(http_session(sandbox.manifest))
    graph = await stack.enter_async_context(graph_client(sandbox.manifest, http))
    return Harness(sandbox, http, graph), stack


def sandbox_options(tmp_path: Path, amqp_url: str, *, services: bool = True) -> SandboxOptions:
    """An ephemeral sandbox (state under `tmp_path`) on the broker at `amqp_url`."""
    options = SandboxOptions.ephemeral(tmp_path / "state")
    options.amqp_url = amqp_url
    options.services = services
    return options
