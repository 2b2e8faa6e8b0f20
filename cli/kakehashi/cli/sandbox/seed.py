"""Put the company into both simulators and into Kakehashi's store."""

from __future__ import annotations

from pydantic import SecretStr

from kakehashi.cli.sandbox.company import Company
from kakehashi.contracts.state import (
    GaroonCredentials,
    GraphCredentials,
    LinkStatus,
    Tenant,
    UserLink,
)
from kakehashi.garoon_sim import GaroonSimulator
from kakehashi.graph_sim import GraphSimulator
from kakehashi.store import Store


def seed_graph(sim: GraphSimulator, company: Company) -> None:
    tenant = sim.add_tenant(
        company.domain, tenant_id=company.graph_tenant_id, display_name=company.name
    )
    sim.add_app(
        tenant.id,
        client_id=company.client_id,
        secret=company.client_secret,
        roles=list(company.roles),
        consented=True,
    )
    for p in company.people:
        sim.add_user(
            tenant.id,
            p.email,
            display_name=p.display_name,
            user_id=p.graph_id,
            time_zone=company.windows_time_zone,
        )
    for room in company.rooms:
        sim.add_room(tenant.id, room.email, room.name)


def seed_garoon(sim: GaroonSimulator, company: Company, ingress_url: str) -> None:
    sim.add_user(
        company.garoon_service_login,
        "Kakehashi",
        password=company.garoon_service_password,
        id=company.garoon_service_id,
    )
    for p in company.people:
        sim.add_user(p.login, p.garoon_name, password=p.password, email=p.email, id=p.garoon_id)
    for room in company.rooms:
        sim.add_facility(room.code, room.name, id=room.garoon_id)
    sim.set_menus(list(company.menus))
    # Garoon's access rights: a deployment lets the service account edit the linked users'
    # schedules, which the connector needs; the simulator's default is attendees only.
    sim.settings.edit_requires_attendance = False
    # Garoon's proxy setting: the customization posts browser hints here with these headers.
    sim.hints.configure(f"{ingress_url}/webhooks/garoon", hint_headers(company))


def hint_headers(company: Company) -> dict[str, str]:
    return {"X-Kakehashi-Tenant": company.tenant_id, "X-Kakehashi-Secret": company.hint_secret}


def tenant_document(company: Company, graph_url: str, garoon_url: str) -> Tenant:
    return Tenant(
        id=company.tenant_id,
        name=company.name,
        graph=GraphCredentials(
            tenant_id=company.graph_tenant_id,
            client_id=company.client_id,
            client_secret=SecretStr(company.client_secret),
            authority_host=graph_url,
            graph_base_url=graph_url,
        ),
        garoon=GaroonCredentials(
            base_url=garoon_url,
            login=company.garoon_service_login,
            password=SecretStr(company.garoon_service_password),
        ),
        facility_rooms={room.code: room.email for room in company.rooms},
        menu_categories={menu: menu for menu in company.menus},
        hint_secret=SecretStr(company.hint_secret),
    )


async def seed_store(store: Store, tenant: Tenant, company: Company) -> list[UserLink]:
    await store.tenants.put(tenant)
    links = []
    for p in company.people:
        link = UserLink(
            id=f"{company.tenant_id}-{p.login}",
            tenant_id=company.tenant_id,
            garoon_login=p.login,
            garoon_user_id=str(p.garoon_id),
            m365_address=p.email,
            graph_user_id=p.graph_id,
            enabled=True,
            status=LinkStatus.LINKED,
        )
        await store.user_links.upsert(link)
        links.append(link)
    return links
