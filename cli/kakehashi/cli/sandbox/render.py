"""The manifest of a started sandbox, and the card printed for people."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kakehashi.cli.sandbox.manifest import (
    GaroonSide,
    GraphSide,
    Manifest,
    RoomEntry,
    ServiceEntry,
    TenantEntry,
    UserEntry,
)

if TYPE_CHECKING:
    from kakehashi.cli.sandbox.stack import Sandbox


def build_manifest(sb: Sandbox, pids: dict[str, int]) -> Manifest:
    company, host = sb.company, sb.options.host
    graph_url = sb.graph.base_url
    return Manifest(
        pid=os.getpid(),
        bus=sb.describe_bus(),
        store=sb.describe_store(),
        graph=GraphSide(
            url=graph_url,
            api_url=f"{graph_url}/v1.0",
            token_url=f"{graph_url}/{company.graph_tenant_id}/oauth2/v2.0/token",
            control_url=f"{graph_url}/_sim",
            ca_file=str(sb.graph.ca_file),
            tenant_id=company.graph_tenant_id,
            domain=company.domain,
            client_id=company.client_id,
            client_secret=company.client_secret,
            roles=list(company.roles),
        ),
        garoon=GaroonSide(
            url=sb.garoon.base_url,
            rest_url=f"{sb.garoon.base_url}/api/v1",
            soap_url=f"{sb.garoon.base_url}/cbpapi/schedule/api.csp",
            control_url=f"{sb.garoon.root_url}/_sim",
            service_login=company.garoon_service_login,
            service_password=company.garoon_service_password,
        ),
        services={
            name: ServiceEntry(url=f"http://{host}:{port}", pid=pids.get(name))
            for name, port in sb.options.service_ports.items()
        },
        admin_token=company.admin_token,
        webhooks={
            "garoon": f"{sb.ingress_url()}/webhooks/garoon",
            "graph": f"{sb.ingress_url()}/webhooks/graph",
        },
        tenant=TenantEntry(
            id=company.tenant_id,
            name=company.name,
            hint_secret=company.hint_secret,
            time_zone=company.time_zone,
        ),
        users=[
            UserEntry(
                login=p.login,
                garoon_id=str(p.garoon_id),
                garoon_password=p.password,
                garoon_name=p.garoon_name,
                email=p.email,
                graph_id=p.graph_id,
                display_name=p.display_name,
                link_id=f"{company.tenant_id}-{p.login}",
            )
            for p in company.people
        ],
        rooms=[
            RoomEntry(code=r.code, name=r.name, garoon_id=str(r.garoon_id), email=r.email)
            for r in company.rooms
        ],
        menus=list(company.menus),
        subscriptions=[],
        subscriptions_by="",
    )
