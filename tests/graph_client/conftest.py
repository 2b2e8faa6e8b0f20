"""Fixtures for the Graph client: a fixed token provider, a fake clock + sleep, and a tiny
aiohttp server whose handler each test supplies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from kakehashi.graph_client import GraphClient
from tests.support.http import Handler, serve
from tests.support.http import session as session


class StaticTokens:
    def __init__(self) -> None:
        self.generation = 1
        self.invalidated: list[str] = []

    async def get_token(self) -> str:
        return f"tok-{self.generation}"

    async def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if token == f"tok-{self.generation}":
            self.generation += 1


class FakeTime:
    """`sleep` records the delay and moves the clock; it never waits for real."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def tokens() -> StaticTokens:
    return StaticTokens()


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_client(
    aiohttp_server: Any, session: aiohttp.ClientSession, tokens: StaticTokens, fake_time: FakeTime
) -> Callable[..., Awaitable[tuple[GraphClient, TestServer]]]:
    async def make(handler: Handler, **kw: Any) -> tuple[GraphClient, TestServer]:
        server = await serve(aiohttp_server, handler)
        base = str(server.make_url("/")).rstrip("/")
        kw.setdefault("sleep", fake_time.sleep)
        kw.setdefault("clock", fake_time.clock)
        return GraphClient(session, base, tokens, **kw), server

    return make
