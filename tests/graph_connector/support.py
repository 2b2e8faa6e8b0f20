"""A Graph connector wired to the Graph simulator (HTTPS), an in-memory store and a bus.

Outputs (observed.graph, result.graph) are collected from private queues, as the translator
would receive them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import aiohttp
from pydantic import SecretStr

from kakehashi.bus import QueueSpec
from kakehashi.bus.api import Bus
from kakehashi.contracts import Message
from kakehashi.contracts.event import NormalizedEvent, Person
from kakehashi.contracts.messages import (
    CommandOp,
    CommandResult,
    GraphHint,
    ObservedGraph,
    ResyncRequest,
    Side,
    SyncCommand,
)
from kakehashi.contracts.routing import BINDINGS
from kakehashi.contracts.state import GraphCredentials, LinkStatus, Tenant, UserLink
from kakehashi.graph_connector.failures import RETRY_DELAYS
from kakehashi.graph_connector.handlers import GraphConnector
from kakehashi.graph_sim import GraphSimServer
from kakehashi.runtime import ServiceContext, Settings
from kakehashi.runtime.host import client_session
from kakehashi.store import Store, generate_key, load_key, open_store
from tests.support.buses import BusKind, BusUnderTest, bus_of
from tests.support.collect import collect, observations_of, result_of
from tests.support.context import service_context
from tests.support.messages import sync_command

KEY = load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()})
TENANT = "t1"
TOKYO = "Asia/Tokyo"
WIN_TOKYO = "Tokyo Standard Time"


def next_monday() -> date:
    today = datetime.now(UTC).date()
    return today + timedelta(days=7 - today.weekday())


def tokyo(day: date, hour: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(TOKYO))


def wall(day: date, hour: int) -> dict[str, str]:
    return {"dateTime": f"{day.isoformat()}T{hour:02d}:00:00", "timeZone": WIN_TOKYO}


def graph_body(subject: str, day: date, hour: int = 10, **extra: Any) -> dict[str, Any]:
    return {
        "subject": subject,
        "start": wall(day, hour),
        "end": wall(day, hour + 1),
        **extra,
    }


def normalized(title: str, day: date, hour: int = 10, **extra: Any) -> NormalizedEvent:
    return NormalizedEvent(
        title=title,
        start=tokyo(day, hour),
        end=tokyo(day, hour + 1),
        timezone=TOKYO,
        **extra,
    )


@dataclass
class Harness:
    srv: GraphSimServer
    store: Store
    bus: Bus
    ctx: ServiceContext
    connector: GraphConnector
    sim_tenant: str
    sato: UserLink
    suzuki: UserLink
    observed: list[ObservedGraph] = field(default_factory=list)
    results: list[CommandResult] = field(default_factory=list)
    specs: list[QueueSpec] = field(default_factory=list)

    @property
    def sim(self) -> Any:
        return self.srv.sim

    # ------------------------------------------------------------ messages in
    def hint(self, event_id: str, link: UserLink | None = None) -> GraphHint:
        link = link or self.sato
        assert link.graph_user_id is not None
        return GraphHint(
            tenant_id=TENANT,
            subscription_id="sub-1",
            user_id=link.graph_user_id,
            event_id=event_id,
            change_type="updated",
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
            TENANT, Side.GRAPH, op, user_link_id, target_id=target_id, event=event, **extra
        )

    def resync(self, link: UserLink | None = None) -> ResyncRequest:
        return ResyncRequest(
            tenant_id=TENANT, side=Side.GRAPH, user_link_id=(link or self.sato).id, reason="test"
        )

    async def send(self, message: Message) -> None:
        await self.bus.publish(message)

    # ------------------------------------------------------------ messages out
    async def result_of(self, cmd: SyncCommand, timeout: float = 20.0) -> CommandResult:
        return await result_of(self.results, cmd, timeout)

    async def observations_of(self, trigger: Message, count: int = 1) -> list[ObservedGraph]:
        return await observations_of(self.observed, trigger, count)

    def mailbox(self, link: UserLink | None = None) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = self.sim.mailbox_events((link or self.sato).m365_address)
        return events


@asynccontextmanager
async def harness(
    *,
    bus: Bus | None = None,
    request_timeout: float = 60.0,
    prefix: str = "",
    bus_kind: BusKind = "memory",
) -> AsyncIterator[Harness]:
    """`bus` and `prefix`: the caller's bus and queue names (the caller deletes the queues;
    the production retry delays apply); otherwise a bus of `bus_kind`, cleaned up here."""
    retry_delays = RETRY_DELAYS if prefix else (0.2, 0.5, 1.0)
    async with bus_of(bus_kind) as own, GraphSimServer(port=0, tls=True) as srv:
        chosen = own if bus is None else BusUnderTest(bus, prefix)
        bus, prefix = chosen.bus, chosen.prefix
        sim = srv.sim
        sim_tenant = sim.add_tenant("contoso.example")
        app = sim.add_app(sim_tenant.id, secret="s3cret")
        sato_user = sim.add_user(sim_tenant.id, "sato@contoso.example", time_zone=WIN_TOKYO)
        suzuki_user = sim.add_user(sim_tenant.id, "suzuki@contoso.example", time_zone=WIN_TOKYO)
        store = await open_store(None, key=KEY)
        await store.tenants.put(
            Tenant(
                id=TENANT,
                graph=GraphCredentials(
                    tenant_id=sim_tenant.id,
                    client_id=app.client_id,
                    client_secret=SecretStr("s3cret"),
                    authority_host=srv.base_url,
                    graph_base_url=srv.base_url,
                ),
            )
        )
        links = []
        for login, user in (("sato", sato_user), ("suzuki", suzuki_user)):
            link = UserLink(
                tenant_id=TENANT,
                garoon_login=login,
                m365_address=user.mail,
                graph_user_id=user.id,
                status=LinkStatus.LINKED,
                linked_at=datetime.now(UTC) - timedelta(days=1),
            )
            await store.user_links.upsert(link)
            links.append(link)
        settings = Settings(
            service_name="graph_connector",
            http_host="127.0.0.1",
            http_port=0,
            ca_file=str(srv.ca_file),
        )
        http: aiohttp.ClientSession = client_session(settings)
        ctx = service_context(settings, bus=bus, store=store, http=http)
        connector = GraphConnector(ctx, request_timeout=request_timeout)
        h = Harness(
            srv, store, bus, ctx, connector, sim_tenant.id, links[0], links[1], specs=chosen.specs
        )
        try:
            await bus.connect()
            await collect(bus, h.specs, f"{prefix}test.observed", ("observed.graph",), h.observed)
            await collect(bus, h.specs, f"{prefix}test.results", ("result.graph",), h.results)
            for queue, handler in connector.handlers().items():
                spec = QueueSpec(
                    name=f"{prefix}{queue}",
                    bindings=BINDINGS[queue],
                    retry_delays=retry_delays,
                )
                h.specs.append(spec)
                await bus.consume(spec, handler)
            yield h
        finally:
            await bus.close()
            connector.close()
            await http.close()
            await store.close()


def person(email: str) -> Person:
    return Person(email=email, name=email.split("@")[0])
