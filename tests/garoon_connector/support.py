"""A Garoon connector wired to the Garoon simulator, an in-memory store and a bus.

The simulator's `edit_requires_attendance` switch is off: the tenant's service account ("svc")
is not an attendee of the users' events but may edit them, like the admin-ish account Garoon
needs for a sync without "act as". Outputs (observed.garoon, result.garoon) are collected from
private queues, as the translator would receive them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from pydantic import SecretStr

from kakehashi.bus import QueueSpec
from kakehashi.bus.api import Bus
from kakehashi.contracts import Message
from kakehashi.contracts.envelope import new_id
from kakehashi.contracts.event import NormalizedEvent, Person
from kakehashi.contracts.messages import (
    CommandOp,
    CommandResult,
    GaroonHint,
    ObservedGaroon,
    ResyncRequest,
    Side,
    SyncCommand,
)
from kakehashi.contracts.routing import BINDINGS
from kakehashi.contracts.state import (
    GaroonCredentials,
    LinkStatus,
    Mapping,
    MappingState,
    SideRecord,
    Tenant,
    UserLink,
)
from kakehashi.garoon_connector.handlers import Connector
from kakehashi.garoon_sim import GaroonSimServer
from kakehashi.runtime import ServiceContext, Settings
from kakehashi.store import Store, generate_key, load_key, open_store
from tests.support.buses import BusKind, BusUnderTest, bus_of
from tests.support.collect import collect, observations_of, result_of
from tests.support.context import service_context
from tests.support.messages import sync_command

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})
TENANT = "t1"
TOKYO = "Asia/Tokyo"
JST = ZoneInfo(TOKYO)


def soon(days: int = 2) -> date:
    return datetime.now(JST).date() + timedelta(days=days)


def tokyo(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=JST)


def stamp(day: date, hour: int) -> dict[str, str]:
    return {"dateTime": tokyo(day, hour).isoformat(), "timeZone": TOKYO}


def rest_event(subject: str, day: date, hour: int = 10, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "eventType": "REGULAR",
        "subject": subject,
        "start": stamp(day, hour),
        "end": stamp(day, hour + 1),
        "attendees": [{"type": "USER", "code": "sato"}],
    }
    body.update(extra)
    return body


def normalized(title: str, day: date, hour: int = 10, **extra: Any) -> NormalizedEvent:
    extra.setdefault(
        "organizer", Person(garoon_login="sato", email="sato@contoso.example", name="Sato")
    )
    return NormalizedEvent(
        title=title, start=tokyo(day, hour), end=tokyo(day, hour + 1), timezone=TOKYO, **extra
    )


@dataclass
class Harness:
    srv: GaroonSimServer
    store: Store
    bus: Bus
    ctx: ServiceContext
    connector: Connector
    sato: UserLink
    suzuki: UserLink
    observed: list[ObservedGaroon] = field(default_factory=list)
    results: list[CommandResult] = field(default_factory=list)
    teams: list[Message] = field(default_factory=list)
    specs: list[QueueSpec] = field(default_factory=list)

    @property
    def sim(self) -> Any:
        return self.srv.sim

    # ------------------------------------------------------------ Garoon side
    def person_create(self, body: dict[str, Any], who: str = "sato") -> str:
        return str(self.sim.person_create(who, body).id)

    def raw(self, event_id: str) -> dict[str, Any] | None:
        for ev in self.sim.raw_events():
            if str(ev["id"]) == str(event_id):
                found: dict[str, Any] = ev
                return found
        return None

    def events_titled(self, subject: str) -> list[dict[str, Any]]:
        return [e for e in self.sim.raw_events() if e.get("subject") == subject]

    # ------------------------------------------------------------ messages in
    def hint(self, event_id: str, action: str = "edit", **extra: Any) -> GaroonHint:
        return GaroonHint(
            tenant_id=TENANT, garoon_user="sato", event_id=event_id, action=action, **extra
        )

    def command(
        self,
        op: CommandOp,
        *,
        event: NormalizedEvent | None = None,
        target_id: str | None = None,
        link: UserLink | None = None,
        **extra: Any,
    ) -> SyncCommand:
        user_link_id = (link or self.sato).id
        return sync_command(
            TENANT, Side.GAROON, op, user_link_id, target_id=target_id, event=event, **extra
        )

    def resync(self, link: UserLink | None = None) -> ResyncRequest:
        return ResyncRequest(
            tenant_id=TENANT, side=Side.GAROON, user_link_id=(link or self.sato).id, reason="t"
        )

    async def send(self, message: Message) -> None:
        await self.bus.publish(message)

    async def mapped(
        self,
        garoon_id: str | None,
        base: NormalizedEvent,
        *,
        link: UserLink | None = None,
        **kw: Any,
    ) -> Mapping:
        """A mapping as the translator would hold it after syncing `garoon_id` (None: the
        Garoon copy is still to be created)."""
        mapping = Mapping(
            tenant_id=TENANT,
            user_link_id=(link or self.sato).id,
            garoon_id=garoon_id,
            garoon=SideRecord(id=garoon_id),
            graph=SideRecord(id=f"graph-{new_id()}"),
            base=base,
            state=MappingState.ACTIVE,
            **kw,
        )
        await self.store.mappings.insert(mapping)
        return mapping

    # ------------------------------------------------------------ messages out
    async def result_of(self, cmd: SyncCommand, timeout: float = 20.0) -> CommandResult:
        return await result_of(self.results, cmd, timeout)

    async def observations_of(self, trigger: Message, count: int = 1) -> list[ObservedGaroon]:
        return await observations_of(self.observed, trigger, count)

    def about(self, event_id: str) -> list[ObservedGaroon]:
        return [o for o in self.observed if o.source_id == event_id]


@asynccontextmanager
async def harness(
    *, bus: Bus | None = None, prefix: str = "", bus_kind: BusKind = "memory"
) -> AsyncIterator[Harness]:
    """`bus` and `prefix`: the caller's bus and queue names (the caller deletes the queues);
    otherwise a bus of `bus_kind`, cleaned up here."""
    async with (
        bus_of(bus_kind) as own,
        GaroonSimServer(port=0, basic_auth=("web", "front-pw")) as srv,
    ):
        chosen = own if bus is None else BusUnderTest(bus, prefix)
        bus, prefix = chosen.bus, chosen.prefix
        sim = srv.sim
        sim.settings.edit_requires_attendance = False
        sim.add_user("svc", "Sync service", password="svc-pw", id=1)
        sim.add_user("sato", "Sato", password="sato-pw", id=2)
        sim.add_user("suzuki", "Suzuki", password="suzuki-pw", id=3)
        sim.add_facility("room-a", "Room A", id=1)
        store = await open_store(None, key=KEY)
        await store.tenants.put(
            Tenant(
                id=TENANT,
                garoon=GaroonCredentials(
                    base_url=srv.base_url,
                    login="svc",
                    password=SecretStr("svc-pw"),
                    basic_user="web",
                    basic_password=SecretStr("front-pw"),
                ),
            )
        )
        links = []
        for login in ("sato", "suzuki"):
            link = UserLink(
                tenant_id=TENANT,
                garoon_login=login,
                m365_address=f"{login}@contoso.example",
                status=LinkStatus.LINKED,
                linked_at=datetime.now(UTC) - timedelta(days=1),
            )
            await store.user_links.upsert(link)
            links.append(link)
        settings = Settings(service_name="garoon_connector", http_host="127.0.0.1", http_port=0)
        http = aiohttp.ClientSession()
        ctx = service_context(settings, bus=bus, store=store, http=http)
        connector = Connector.build(ctx)
        h = Harness(srv, store, bus, ctx, connector, links[0], links[1], specs=chosen.specs)
        try:
            await bus.connect()
            await collect(bus, h.specs, f"{prefix}test.observed", ("observed.garoon",), h.observed)
            await collect(bus, h.specs, f"{prefix}test.results", ("result.garoon",), h.results)
            await collect(bus, h.specs, f"{prefix}test.teams", ("request.teams",), h.teams)
            for queue, handler in connector.handlers().items():
                spec = QueueSpec(
                    name=f"{prefix}{queue}",
                    bindings=BINDINGS[queue],
                    retry_delays=(0.2, 0.5, 1.0),
                )
                h.specs.append(spec)
                await bus.consume(spec, handler)
            yield h
        finally:
            await connector.sweeper.stop()
            await bus.close()
            await http.close()
            await store.close()
