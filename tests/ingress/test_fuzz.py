"""Schemathesis against a live in-process ingress: no input ever produces a 5xx.

The ingress runs on an ephemeral port in a background thread with its own event loop, because
schemathesis' pytest integration calls the API synchronously.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from kakehashi.ingress import openapi
from tests.ingress.support import GAROON_HEADERS, Wiring, unwire, wire

SCHEMA = schemathesis.openapi.from_dict(openapi.document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


@dataclass
class LiveIngress:
    url: str
    wiring: Wiring


@pytest.fixture(scope="module")
def live_ingress() -> Iterator[LiveIngress]:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="ingress-under-fuzz", daemon=True)
    thread.start()

    async def start() -> tuple[LiveIngress, web.AppRunner]:
        wiring = await wire()
        runner = web.AppRunner(wiring.app())
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return LiveIngress(f"http://127.0.0.1:{port}", wiring), runner

    async def stop(live: LiveIngress, runner: web.AppRunner) -> None:
        await runner.cleanup()
        await unwire(live.wiring)

    live, runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    try:
        yield live
    finally:
        asyncio.run_coroutine_threadsafe(stop(live, runner), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@SCHEMA.parametrize()
@FUZZ
def test_no_input_causes_a_server_error(case, live_ingress):
    response = case.call(base_url=live_ingress.url)
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS)


@SCHEMA.include(path="/webhooks/garoon").parametrize()
@FUZZ
def test_authenticated_garoon_bodies_never_cause_a_server_error(case, live_ingress):
    # With valid credentials the fuzzed bodies reach validation and publishing.
    response = case.call(base_url=live_ingress.url, headers=GAROON_HEADERS)
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=CHECKS)
