"""Each service in its own OS process, as deployed: `kakehashi service NAME` processes over the
real RabbitMQ, sharing one store through the in-memory MongoDB simulator (no MongoDB URL is
configured, so the sandbox serves it). A service SIGKILLed mid-stream loses and duplicates
nothing once it is back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kakehashi.cli.sandbox.stack import READY_TIMEOUT, Sandbox
from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    SUZUKI,
    SUZUKI_MAIL,
    garoon_event,
    outlook_event,
)
from tests.e2e.harness import Harness, open_harness, sandbox_options

pytestmark = pytest.mark.e2e


@pytest.fixture
async def processes_harness(
    tmp_path: Path, clean_broker: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Harness]:
    # Whatever the machine sets, this scenario is about the simulator the sandbox serves.
    monkeypatch.delenv("KAKEHASHI_MONGODB_URL", raising=False)
    options = sandbox_options(tmp_path, clean_broker)
    options.processes = True
    async with Sandbox(options) as sandbox:
        h, stack = await open_harness(sandbox)
        async with stack:
            yield h


async def test_services_in_processes_survive_a_sigkill_mid_stream(
    processes_harness: Harness,
) -> None:
    h = processes_harness
    sandbox = h.sandbox
    processes = sandbox.processes
    assert processes is not None
    assert set(processes.procs) == set(h.m.services)
    assert sandbox.mongo_sim is not None
    assert h.m.store == f"in-memory MongoDB simulator {sandbox.mongo_sim.url}"
    # No service runs in this process: whatever syncs went through other processes and the
    # shared store.
    assert sandbox.host is None

    first = await h.garoon_person(SATO, "create", garoon_event("p from garoon", hour=9))
    await h.outlook_create(SUZUKI_MAIL, outlook_event("p from outlook", hour=9))
    await h.wait_outlook(SATO_MAIL, "p from garoon")
    await h.wait_garoon(SUZUKI, "p from outlook")

    # Changes in flight on both sides, then the translator dies without draining.
    for n in range(4):
        await h.garoon_person(SATO, "create", garoon_event(f"p g {n}", hour=11 + n))
        await h.outlook_create(SUZUKI_MAIL, outlook_event(f"p o {n}", hour=11 + n))
    await processes.kill("translator")
    assert processes.procs["translator"].returncode == -9
    # More while it is down: they wait in RabbitMQ for the next translator.
    for n in range(4, 6):
        await h.garoon_person(SATO, "create", garoon_event(f"p g {n}", hour=11 + n))
        await h.outlook_create(SUZUKI_MAIL, outlook_event(f"p o {n}", hour=11 + n))
    await processes.start_one("translator")
    await processes.wait_ready(["translator"], READY_TIMEOUT)

    edit = {"eventId": first["id"], "changes": {"subject": "p from garoon, edited"}, "range": "ALL"}
    await h.garoon_person(SATO, "edit", edit)
    for n in range(6):
        await h.wait_outlook(SATO_MAIL, f"p g {n}")
        await h.wait_garoon(SUZUKI, f"p o {n}")
    await h.wait_outlook(SATO_MAIL, "p from garoon, edited")
    await h.wait_outlook(SATO_MAIL, "p from garoon", count=0)
    await h.wait_converged()
    # Every service process holds its own connections to the one store.
    assert sandbox.mongo_sim.connections > len(processes.procs)
