"""The renewal service under the real host: the loop ticks at start and stops on shutdown."""

from __future__ import annotations

from aiohttp.test_utils import TestServer

from kakehashi.bus import MemoryBus
from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.graph_sim import GraphSimServer
from kakehashi.renewal import SERVICE
from kakehashi.runtime import ServiceHost, Settings
from kakehashi.store import open_store
from tests.renewal.conftest import KEY, SECRET, TENANT, Webhook, tenant_record
from tests.support.waiting import wait_until


async def test_host_runs_the_renewal_loop(sim_server: GraphSimServer):
    sim = sim_server.sim
    ms_tenant = sim.add_tenant("contoso.example")
    app = sim.add_app(ms_tenant.id, secret=SECRET)
    user = sim.add_user(ms_tenant.id, "sato@contoso.example")
    webhook = Webhook()
    hook = TestServer(webhook.app(), host="127.0.0.1")
    await hook.start_server()
    store = await open_store(None, key=KEY)
    await store.tenants.put(tenant_record(ms_tenant.id, app.client_id, sim_server.base_url))
    await store.user_links.upsert(
        UserLink(
            tenant_id=TENANT,
            garoon_login="sato",
            m365_address="sato@contoso.example",
            graph_user_id=user.id,
            status=LinkStatus.LINKED,
        )
    )
    settings = Settings(
        service_name="renewal",
        http_host="127.0.0.1",
        http_port=0,
        public_base_url=str(hook.make_url("")).rstrip("/"),
        ca_file=str(sim_server.ca_file),
    )
    host = ServiceHost([SERVICE()], settings, bus=MemoryBus(), store=store)
    await host.start()
    try:
        await wait_until(lambda: len(sim.live_subscriptions()) == 1, message="a subscription")
        assert host.is_ready
    finally:
        await host.shutdown()
        await hook.close()
