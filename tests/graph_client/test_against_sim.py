"""The Graph client and the msal token provider against the bundled Graph simulator (HTTPS)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from kakehashi.graph_client import (
    Conflict,
    GraphClient,
    InvalidSecret,
    MsalTokenProvider,
    NotFound,
    TeamsNotEnabled,
    UnknownClient,
    UnknownTenant,
    tag_value,
    token_roles,
)
from kakehashi.graph_sim import GraphSimServer

TAG = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name GaroonEventId"
START = datetime(2026, 5, 11, tzinfo=UTC)
END = datetime(2026, 5, 18, tzinfo=UTC)


@dataclass
class Env:
    server: GraphSimServer
    tenant_id: str
    client_id: str
    provider: MsalTokenProvider
    client: GraphClient
    session: aiohttp.ClientSession
    extra: list[MsalTokenProvider]

    def make_provider(
        self, client_id: str, credential: Any, *, tenant: str | None = None, trust: bool = True
    ) -> MsalTokenProvider:
        made = MsalTokenProvider(
            tenant or self.tenant_id,
            client_id,
            credential,
            authority_host=self.server.base_url,
            ca_file=str(self.server.ca_file) if trust else None,
        )
        self.extra.append(made)
        return made


class NoSleep:
    def __init__(self) -> None:
        self.sleeps: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    async with GraphSimServer(port=0, tls=True) as srv:
        tenant = srv.sim.add_tenant("contoso.example")
        app = srv.sim.add_app(tenant.id, secret="right-secret")
        srv.sim.add_user(tenant.id, "sato@contoso.example")
        srv.sim.add_user(tenant.id, "nolicense@contoso.example", teams_enabled=False)
        provider = MsalTokenProvider(
            tenant.id,
            app.client_id,
            "right-secret",
            authority_host=srv.base_url,
            ca_file=str(srv.ca_file),
        )
        ctx = ssl.create_default_context(cafile=str(srv.ca_file))
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=ctx)) as session:
            client = GraphClient(session, srv.base_url, provider, sleep=NoSleep())
            env = Env(srv, tenant.id, app.client_id, provider, client, session, [])
            try:
                yield env
            finally:
                for made in [provider, *env.extra]:
                    made.close()


def event_body(subject: str, day: int = 12) -> dict[str, Any]:
    return {
        "subject": subject,
        "start": {"dateTime": f"2026-05-{day:02d}T01:00:00", "timeZone": "UTC"},
        "end": {"dateTime": f"2026-05-{day:02d}T02:00:00", "timeZone": "UTC"},
    }


async def test_msal_gets_a_token_over_verified_tls_and_caches_it(env: Env) -> None:
    result = await env.provider.get_token_result()
    assert result["token_source"] == "identity_provider"
    assert "Calendars.ReadWrite" in token_roles(result["access_token"])
    await env.provider.get_token()
    assert env.provider.last_token_source == "cache"


async def test_wrong_secret_unknown_client_and_unknown_tenant(env: Env) -> None:
    bad = env.make_provider(env.client_id, "wrong")
    with pytest.raises(InvalidSecret) as info:
        await bad.get_token()
    assert info.value.aadsts == 7000215
    assert "AADSTS7000215" in info.value.description
    nobody = env.make_provider("00000000-0000-0000-0000-00000000dead", "x")
    with pytest.raises(UnknownClient):
        await nobody.get_token()
    nowhere = env.make_provider(env.client_id, "x", tenant="no-such-tenant.example")
    with pytest.raises(UnknownTenant):
        await nowhere.get_token()


async def test_expired_token_mid_run_is_replaced(env: Env) -> None:
    await env.client.get_user("sato@contoso.example")
    first = await env.provider.get_token()
    env.server.sim.expire_tokens(env.tenant_id)
    user = await env.client.get_user("sato@contoso.example")
    assert user["userPrincipalName"] == "sato@contoso.example"
    assert await env.provider.get_token() != first


async def test_create_with_the_same_transaction_id_twice_makes_one_event(env: Env) -> None:
    user = "sato@contoso.example"
    one = await env.client.create_event(
        user, event_body("Once"), transaction_id="tx-42", tag=(TAG, "g-1")
    )
    two = await env.client.create_event(
        user, event_body("Once"), transaction_id="tx-42", tag=(TAG, "g-1")
    )
    assert one["id"] == two["id"]
    assert len(await env.client.calendar_view(user, START, END)) == 1
    found = await env.client.find_by_tag(user, TAG, "g-1")
    assert [e["id"] for e in found] == [one["id"]]
    assert tag_value(found[0], TAG) == "g-1"
    fetched = await env.client.get_event(user, one["id"], expand_tag=TAG)
    assert tag_value(fetched, TAG) == "g-1"
    assert await env.client.find_by_tag(user, TAG, "g-2") == []


async def test_update_delete_and_not_found(env: Env) -> None:
    user = "sato@contoso.example"
    created = await env.client.create_event(user, event_body("Draft"), transaction_id="tx-u")
    updated = await env.client.update_event(user, created["id"], {"subject": "Final"})
    assert updated["subject"] == "Final"
    assert updated["changeKey"] != created["changeKey"]
    await env.client.delete_event(user, created["id"])
    with pytest.raises(NotFound):
        await env.client.get_event(user, created["id"])


async def test_delta_pages_and_removals(env: Env) -> None:
    user = "sato@contoso.example"
    ids = []
    for day in (12, 13, 14):
        ev = await env.client.create_event(
            user, event_body(f"D{day}", day), transaction_id=f"tx-{day}"
        )
        ids.append(ev["id"])
    items, link = await env.client.calendar_view_delta(user, START, END, max_page_size=2)
    assert sorted(i["id"] for i in items) == sorted(ids)
    assert "$deltatoken" in link or "deltatoken" in link.lower()
    await env.client.delete_event(user, ids[0])
    await env.client.update_event(user, ids[1], {"subject": "changed"})
    items, link2 = await env.client.calendar_view_delta(user, START, END, link)
    removed = [i["id"] for i in items if "@removed" in i]
    changed = [i["id"] for i in items if "@removed" not in i]
    assert removed == [ids[0]]
    assert changed == [ids[1]]
    assert link2


async def test_no_more_than_four_in_flight_per_mailbox_server_side(env: Env) -> None:
    env.server.sim.set_switches(latency_ms=30)  # makes the requests overlap on the server
    user = "sato@contoso.example"
    await asyncio.gather(*(env.client.get_user(user) for _ in range(12)))
    stats = env.server.sim.stats()
    assert stats["throttled429"] == 0
    assert max(stats["maxConcurrencyPerMailbox"].values()) == 4


async def test_teams_meeting(env: Env) -> None:
    ok = await env.client.create_event(
        "sato@contoso.example", event_body("Teams"), transaction_id="t1"
    )
    url = await env.client.enable_teams_meeting("sato@contoso.example", ok["id"])
    assert url.startswith("https://")
    no = await env.client.create_event(
        "nolicense@contoso.example", event_body("T"), transaction_id="t2"
    )
    with pytest.raises(TeamsNotEnabled):
        await env.client.enable_teams_meeting("nolicense@contoso.example", no["id"])


async def test_batch_against_sim(env: Env) -> None:
    user = "sato@contoso.example"
    created = await env.client.create_event(user, event_body("B"), transaction_id="tx-b")
    out = await env.client.batch(
        [
            {"method": "GET", "url": f"/users/{user}/events/{created['id']}"},
            {"method": "GET", "url": f"/users/{user}/events/missing"},
            {
                "method": "PATCH",
                "url": f"/users/{user}/events/{created['id']}",
                "body": {"subject": "B2"},
            },
        ]
    )
    assert [r["status"] for r in out] == [200, 404, 200]
    assert out[2]["body"]["subject"] == "B2"


async def test_delete_events_reports_each_outcome(env: Env) -> None:
    user = "sato@contoso.example"
    made = [
        await env.client.create_event(user, event_body(f"D{i}"), transaction_id=f"tx-d{i}")
        for i in range(2)
    ]
    out = await env.client.delete_events(user, [made[0]["id"], "missing", made[1]["id"]])
    assert out[0] is None
    assert out[2] is None
    assert isinstance(out[1], NotFound)
    [alone] = await env.client.delete_events(user, ["missing"])  # one: no batch needed
    assert isinstance(alone, NotFound)
    for event in made:
        with pytest.raises(NotFound):
            await env.client.get_event(user, event["id"])


@pytest.fixture
async def webhook(aiohttp_server: Any) -> TestServer:
    async def receive(request: web.Request) -> web.Response:
        token = request.query.get("validationToken")
        if token is not None:
            return web.Response(text=token, content_type="text/plain")
        return web.Response(status=202)

    app = web.Application()
    app.router.add_post("/hook", receive)
    server: TestServer = await aiohttp_server(app)
    return server


async def test_subscription_lifecycle(env: Env, webhook: TestServer) -> None:
    url = str(webhook.make_url("/hook"))
    exp = datetime.now(UTC) + timedelta(days=2)
    sub = await env.client.create_subscription(
        resource="/users/sato@contoso.example/events",
        notification_url=url,
        lifecycle_notification_url=url,
        expiration=exp,
        client_state="s3cret",
    )
    assert sub["lifecycleNotificationUrl"] == url
    with pytest.raises(Conflict):
        await env.client.create_subscription(
            resource="/users/sato@contoso.example/events",
            notification_url=url,
            expiration=exp,
            client_state="s3cret",
        )
    renewed = await env.client.renew_subscription(sub["id"], exp + timedelta(days=1))
    assert renewed["expirationDateTime"] > sub["expirationDateTime"]
    await env.client.reauthorize_subscription(sub["id"])
    assert [s["id"] for s in await env.client.list_subscriptions()] == [sub["id"]]
    await env.client.delete_subscription(sub["id"])
    assert await env.client.list_subscriptions() == []


def _certificate() -> tuple[str, str, str]:
    """(private key PEM, certificate PEM, SHA-1 thumbprint hex) of a fresh self-signed cert."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kakehashi-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return key_pem, cert_pem, cert.fingerprint(hashes.SHA1()).hex()


async def test_certificate_credential(env: Env) -> None:
    from kakehashi.graph_client import CertificateCredential

    key_pem, cert_pem, thumb = _certificate()
    app = env.server.sim.add_app(env.tenant_id, secret=None, certificates=[cert_pem])
    provider = env.make_provider(
        app.client_id, CertificateCredential(private_key=key_pem, thumbprint=thumb)
    )
    assert token_roles(await provider.get_token())


async def test_expired_secret_and_missing_consent(env: Env) -> None:
    from kakehashi.graph_client import ExpiredSecret, missing_roles

    srv = env.server
    old = srv.sim.add_app(
        env.tenant_id, secret="old", secret_expires=datetime.now(UTC) - timedelta(days=1)
    )
    expired = env.make_provider(old.client_id, "old")
    with pytest.raises(ExpiredSecret) as info:
        await expired.get_token()
    assert info.value.aadsts == 7000222
    fresh = srv.sim.add_app(env.tenant_id, secret="s", consented=False)
    unconsented = env.make_provider(fresh.client_id, "s")
    token = await unconsented.get_token()
    assert missing_roles(token, ["Calendars.ReadWrite", "User.Read.All"]) == [
        "Calendars.ReadWrite",
        "User.Read.All",
    ]


async def test_schedule_rooms_and_instances(env: Env) -> None:
    sim = env.server.sim
    sim.add_room(env.tenant_id, "room-a@contoso.example", "Room A")
    rooms = await env.client.list_rooms()
    assert [r["emailAddress"] for r in rooms] == ["room-a@contoso.example"]
    user = "sato@contoso.example"
    series = dict(event_body("Daily", 11))
    series["recurrence"] = {
        "pattern": {"type": "daily", "interval": 1},
        "range": {"type": "numbered", "startDate": "2026-05-11", "numberOfOccurrences": 3},
    }
    master = await env.client.create_event(user, series, transaction_id="tx-series")
    occurrences = await env.client.instances(user, master["id"], START, END)
    assert len(occurrences) == 3
    schedule = await env.client.get_schedule(user, [user], START, START + timedelta(days=1))
    assert schedule[0]["scheduleId"] == user
    assert "2" in schedule[0]["availabilityView"]


async def test_without_the_ca_file_tls_verification_fails(env: Env) -> None:
    from kakehashi.graph_client import TransportError

    untrusting = env.make_provider(env.client_id, "right-secret", trust=False)
    with pytest.raises(TransportError, match=r"(?i)ssl|certificate"):
        await untrusting.get_token()
