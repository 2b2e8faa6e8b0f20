"""More of what the anchors' users complain about: crashes mid-stream, throttling storms, lost
Garoon hints. Each ends converged, with nothing lost and nothing duplicated."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    SUZUKI,
    SUZUKI_MAIL,
    garoon_event,
    outlook_event,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_services_restarted_mid_stream_lose_and_duplicate_nothing(harness: Harness) -> None:
    for n in range(8):
        await harness.garoon_person(SATO, "create", garoon_event(f"g restart {n}", hour=8 + n))
        await harness.outlook_create(SUZUKI_MAIL, outlook_event(f"o restart {n}", hour=8 + n))
    # A crash mid-stream: no drain; what was unacknowledged is redelivered to new services.
    await harness.sandbox.restart_services(kill=True)
    for n in range(8):
        await harness.wait_outlook(SATO_MAIL, f"g restart {n}")
        await harness.wait_garoon(SUZUKI, f"o restart {n}")
    await harness.wait_converged(timeout=30)


async def test_a_throttling_storm_loses_nothing(harness: Harness) -> None:
    await harness.graph_control(
        "POST",
        "/faults",
        {"pattern": "/v1.0/users/.*/events.*", "status": 429, "count": 15, "retryAfter": "1"},
    )
    for n in range(12):
        await harness.garoon_person(SATO, "create", garoon_event(f"g storm {n}", hour=8 + n % 10))
    for n in range(12):
        # Retry-After and the bus's retry tiers may put a change off by tens of seconds:
        # late is allowed here, lost or doubled is not.
        await harness.wait_outlook(SATO_MAIL, f"g storm {n}", timeout=60)
    await harness.wait_converged(timeout=60)


async def test_a_lost_garoon_hint_is_caught_by_the_sweep(sweeping_harness: Harness) -> None:
    h = sweeping_harness
    await h.garoon_control("PATCH", "/settings", {"drop_hints": 1})
    await h.garoon_person(SATO, "create", garoon_event("g unnoticed"))
    await h.wait_outlook(SATO_MAIL, "g unnoticed")
    await h.wait_converged()
