"""Fixtures for the Garoon client: a fake sleep and a tiny aiohttp server per test."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from kakehashi.garoon_client import GaroonClient
from tests.support.http import Handler, serve
from tests.support.http import session as session


class FakeSleep:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def make_client(
    aiohttp_server: Any, session: aiohttp.ClientSession, fake_sleep: FakeSleep
) -> Callable[..., Awaitable[GaroonClient]]:
    async def make(handler: Handler, **kw: Any) -> GaroonClient:
        server = await serve(aiohttp_server, handler)
        kw.setdefault("login", "sato")
        kw.setdefault("password", "pw")
        kw.setdefault("sleep", fake_sleep)
        return GaroonClient(session, str(server.make_url("/g")), **kw)

    return make
