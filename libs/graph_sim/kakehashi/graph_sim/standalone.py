"""`kakehashi sim graph`: run the simulator until cancelled, with a demo tenant seeded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from .server import GraphSimServer
from .sim import GraphSimulator

DEMO_TENANT_ID = "11111111-2222-3333-4444-555555555555"
DEMO_CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
DEMO_SECRET = "sim-secret"
SEED_FILE = "graph-seed.json"


def seed_demo(sim: GraphSimulator) -> None:
    """A tenant, an app with Calendars.ReadWrite/User.Read.All/Place.Read.All, users and a room."""
    tenant = sim.add_tenant("contoso.example", tenant_id=DEMO_TENANT_ID, display_name="Contoso")
    sim.add_app(tenant.id, client_id=DEMO_CLIENT_ID, secret=DEMO_SECRET)
    for upn, name in (
        ("sato@contoso.example", "Sato Hanako"),
        ("suzuki@contoso.example", "Suzuki Taro"),
    ):
        sim.add_user(tenant.id, upn, display_name=name, time_zone="Tokyo Standard Time")
    sim.add_room(tenant.id, "room-a@contoso.example", "会議室A", capacity=8)


async def serve(host: str, port: int, state_dir: Path) -> None:
    """Serve HTTPS on host:port until cancelled; the CA file lives in `state_dir`.

    `state_dir/graph-seed.json` (the POST /_sim/seed document), when present, replaces the demo
    tenant."""
    sim = GraphSimulator()
    seed_file = state_dir / SEED_FILE
    if seed_file.exists():
        sim.load_seed(json.loads(seed_file.read_text("utf-8")))
    else:
        seed_demo(sim)
    async with GraphSimServer(host, port, tls=True, state_dir=state_dir, sim=sim) as server:
        info: dict[str, Any] = {
            "url": server.base_url,
            "caFile": str(server.ca_file),
            "tenants": [
                {
                    "tenantId": t.id,
                    "domain": t.domain,
                    "apps": [
                        {"clientId": a.client_id, "clientSecret": a.secret}
                        for a in sim.apps.values()
                        if a.tenant_id == t.id
                    ],
                    "users": [
                        u.user_principal_name for u in sim.users.values() if u.tenant_id == t.id
                    ],
                }
                for t in sim.tenants.values()
            ],
        }
        print(f"Graph simulator listening on {server.base_url}", flush=True)
        print(f"Test CA certificate: {server.ca_file}", flush=True)
        print(json.dumps(info, ensure_ascii=False), flush=True)
        await asyncio.Event().wait()
