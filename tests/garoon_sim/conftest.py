"""Fixtures for the Garoon simulator contract suite: a live server on an ephemeral port."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from kakehashi.garoon_sim import GaroonSimServer

SOAP_NS = "http://www.w3.org/2003/05/soap-envelope"


def cybozu_auth(login: str, password: str = "pw") -> dict[str, str]:
    return {"X-Cybozu-Authorization": base64.b64encode(f"{login}:{password}".encode()).decode()}


class Garoon:
    """A thin HTTP helper over the simulator (REST, SOAP, control API)."""

    def __init__(self, server: GaroonSimServer, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.sim = server.sim
        self.session = session
        self.rest = f"{server.base_url}/api/v1"
        self.soap_url = f"{server.base_url}/cbpapi/schedule/api.csp"
        self.control = f"{server.root_url}/_sim"

    async def call(
        self, method: str, path: str, user: str = "sato", *, json: Any = None, params: Any = None
    ) -> tuple[int, Any]:
        async with self.session.request(
            method, f"{self.rest}{path}", headers=cybozu_auth(user), json=json, params=params
        ) as resp:
            body = (
                await resp.json() if resp.content_type == "application/json" else await resp.text()
            )
            return resp.status, body

    async def ctl(self, method: str, path: str, json: Any = None) -> tuple[int, Any]:
        async with self.session.request(method, f"{self.control}{path}", json=json) as resp:
            return resp.status, await resp.json()

    async def soap(
        self, action: str, params: str, user: str = "sato", password: str = "pw", *, attrs: str = ""
    ) -> tuple[int, str]:
        envelope = f"""<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:schedule="http://wsdl.cybozu.co.jp/schedule/2008">
  <soap:Header>
    <Action>{action}</Action>
    <Security><UsernameToken><Username>{user}</Username><Password>{password}</Password></UsernameToken></Security>
    <Timestamp>
      <Created>2024-01-01T00:00:00Z</Created><Expires>2037-08-12T14:45:00Z</Expires>
    </Timestamp>
    <Locale>jp</Locale>
  </soap:Header>
  <soap:Body>
    <schedule:{action}><parameters {attrs}>{params}</parameters></schedule:{action}>
  </soap:Body>
</soap:Envelope>"""
        async with self.session.post(
            self.soap_url,
            data=envelope.encode(),
            headers={"Content-Type": "application/soap+xml; charset=UTF-8"},
        ) as resp:
            return resp.status, await resp.text()

    async def list_events(self, user: str = "sato", **params: Any) -> list[dict[str, Any]]:
        status, body = await self.call("GET", "/schedule/events", user, params=params)
        assert status == 200, body
        return list(body["events"])


def seed(server: GaroonSimServer) -> None:
    sim = server.sim
    sim.add_user("sato", "佐藤 昇", "pw", "sato@example.com", id=1)
    sim.add_user("suzuki", "鈴木 卓也", "pw", "suzuki@example.com", id=2)
    sim.add_user("tanaka", "田中 花子", "pw", "tanaka@example.com", id=3)
    sim.add_organization("sales", "営業部", [1, 2], id=1)
    sim.add_facility("room1", "会議室1", id=1)
    sim.add_facility("room2", "会議室2", id=2)
    sim.set_menus(["会議", "外出"])


@pytest.fixture
async def garoon() -> AsyncIterator[Garoon]:
    async with GaroonSimServer() as server, aiohttp.ClientSession() as session:
        seed(server)
        yield Garoon(server, session)


def regular(
    subject: str = "定例", attendees: tuple[int, ...] = (1,), **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": "REGULAR",
        "subject": subject,
        "start": {"dateTime": "2024-03-04T10:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "end": {"dateTime": "2024-03-04T11:00:00+09:00", "timeZone": "Asia/Tokyo"},
        "attendees": [{"type": "USER", "id": str(a)} for a in attendees],
    }
    body.update(extra)
    return body
