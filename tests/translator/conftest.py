"""A translator over an in-memory store and bus, with a spy queue catching its commands."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from kakehashi.bus import MemoryBroker, MemoryBus, QueueSpec
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import SyncCommand
from kakehashi.contracts.state import (
    ConflictPolicy,
    LinkStatus,
    Mapping,
    SyncPolicy,
    Tenant,
    UserLink,
)
from kakehashi.store import Store, open_store
from kakehashi.translator.translator import Translator
from tests.translator.fakes import LINK, TENANT, Sides

SPY = QueueSpec(name="spy.commands", bindings=("command.#",), retry_delays=())


def event(title: str = "Standup", hours_ahead: int = 48, **extra: object) -> NormalizedEvent:
    start = (datetime.now(UTC) + timedelta(hours=hours_ahead)).replace(
        minute=0, second=0, microsecond=0
    )
    fields: dict[str, object] = {
        "title": title,
        "start": start,
        "end": start + timedelta(hours=1),
        "timezone": "Asia/Tokyo",
        **extra,
    }
    return NormalizedEvent.model_validate(fields)


async def new_store(name: str | None = None, policy: SyncPolicy | None = None) -> Store:
    store = await open_store(f"memory://{name}" if name else None, key=os.urandom(32))
    await store.ensure_indexes()
    await store.tenants.put(Tenant(id=TENANT, policy=policy or SyncPolicy()))
    await store.user_links.upsert(
        UserLink(
            id=LINK,
            tenant_id=TENANT,
            garoon_login="sato",
            m365_address="sato@contoso.example",
            status=LinkStatus.LINKED,
            linked_at=datetime.now(UTC) - timedelta(days=1),
        )
    )
    return store


@dataclass
class Rig:
    store: Store
    bus: MemoryBus
    translator: Translator
    sides: Sides

    commands_seen: list[SyncCommand] = field(default_factory=list)

    def peek(self) -> list[SyncCommand]:
        queue = self.bus.broker.queues[SPY.name]
        return [SyncCommand.from_bytes(e.body) for e in queue.items]

    def commands(self) -> list[SyncCommand]:
        """Commands published since the last call (taken off the spy queue)."""
        out = self.peek()
        self.bus.broker.queues[SPY.name].items.clear()
        self.commands_seen += out
        return out

    async def mapping(self) -> Mapping:
        docs = await self.store.db.collection("mappings").find({})
        assert len(docs) == 1, f"expected one mapping, found {len(docs)}"
        found = await self.store.mappings.get(docs[0]["_id"])
        assert found is not None
        return found


async def make_rig(policy: ConflictPolicy = ConflictPolicy.LATER_WINS) -> Rig:
    store = await new_store(policy=SyncPolicy(conflict=policy))
    bus = MemoryBus(broker=MemoryBroker())
    await bus.connect()
    await bus.declare([SPY])
    clock = lambda: datetime.now(UTC)  # noqa: E731
    return Rig(store, bus, Translator(store, bus, clock), Sides())


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    r = await make_rig()
    yield r
    await r.bus.close()
    await r.store.close()
