"""Admin API: token, OpenAPI, tenant, credentials (never echoed), hint secret, policy, mappings."""

from __future__ import annotations

import json
from typing import cast

from kakehashi.admin import AdminService
from kakehashi.runtime import ServiceContext
from tests.admin.conftest import TOKEN, Env

PEM = "-----BEGIN PRIVATE KEY-----\nMIIB...\n-----END PRIVATE KEY-----\n"


async def test_requests_without_the_admin_token_are_refused(env: Env) -> None:
    for token in (None, "wrong-token", TOKEN + "x"):
        status, body = await env.call("GET", "/api/v1/tenants", token=token)
        assert status == 401
        assert body["error"]["code"] == "unauthorized"
    status, _ = await env.call("PUT", "/api/v1/tenants/acme", {"name": "x"}, token=None)
    assert status == 401
    assert await env.store.tenants.get("acme") is None
    async with env.http.get(env.url + "/healthz") as resp:
        assert resp.status == 200  # probes stay open


async def test_openapi_document_is_served_and_lists_every_route(env: Env) -> None:
    async with env.http.get(env.url + "/openapi.json") as resp:
        assert resp.status == 200
        doc = await resp.json()
    assert doc["openapi"].startswith("3.")
    # Building the route table only stores the context, so none is needed here.
    defs = AdminService().routes(cast(ServiceContext, None))
    served = {(d.method.lower(), d.path) for d in defs if d.path.startswith("/api/")}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    assert served == documented


async def test_tenant_creation_shows_the_hint_secret_once(env: Env) -> None:
    status, created = await env.call("PUT", "/api/v1/tenants/acme", {"name": "Acme"})
    assert status == 201
    secret = created["hint_secret_once"]
    assert len(secret) >= 32
    assert created["hint_secret"] == "set"
    shown = await env.ok("GET", "/api/v1/tenants/acme")
    assert "hint_secret_once" not in shown
    assert secret not in json.dumps(shown)
    stored = await env.store.tenants.get("acme")
    assert stored is not None
    assert stored.hint_secret is not None
    assert stored.hint_secret.get_secret_value() == secret
    renamed = await env.ok("PUT", "/api/v1/tenants/acme", {"name": "Acme KK"})
    assert "hint_secret_once" not in renamed
    rotated = await env.ok("POST", "/api/v1/tenants/acme/hint-secret")
    assert rotated["hint_secret_once"] not in (secret, None)


async def test_auth_office_calendar_json_is_accepted_as_is_and_never_echoed(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    file_body = {"tenant_id": "t-1", "client_id": "c-1", "client_secret": "s3cr3t-value"}
    answer = await env.ok("PUT", "/api/v1/tenants/acme/graph", file_body)
    assert answer["graph"]["client_secret"] == "set"
    assert answer["graph"]["tenant_id"] == "t-1"
    for text in (json.dumps(answer), json.dumps(await env.ok("GET", "/api/v1/tenants/acme"))):
        assert "s3cr3t-value" not in text
    # The expiry date is stored; other fields keep their values.
    answer = await env.ok("PUT", "/api/v1/tenants/acme/graph", {"secret_expires_at": "2027-05-31"})
    assert answer["graph"]["secret_expires_at"].startswith("2027-05-31")
    stored = await env.store.tenants.get("acme")
    assert stored is not None
    assert stored.graph is not None
    assert stored.graph.client_secret is not None
    assert stored.graph.client_secret.get_secret_value() == "s3cr3t-value"
    # Secrets are encrypted at rest: the raw document does not hold the value.
    raw = await env.store.db.collection("tenants").find_one({"_id": "acme"})
    assert "s3cr3t-value" not in repr(raw)


async def test_a_certificate_replaces_the_secret(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    await env.ok("PUT", "/api/v1/tenants/acme/graph", env.graph_credentials())
    thumb = "AB:CD:" + "0" * 36
    answer = await env.ok(
        "PUT",
        "/api/v1/tenants/acme/graph",
        {"certificate_pem": PEM, "certificate_thumbprint": thumb},
    )
    assert answer["graph"]["certificate"] == "set"
    assert answer["graph"]["client_secret"] == "not set"
    assert answer["graph"]["certificate_thumbprint"] == "ABCD" + "0" * 36
    assert "PRIVATE KEY" not in json.dumps(answer)
    status, bad = await env.call(
        "PUT", "/api/v1/tenants/acme/graph", {"certificate_pem": PEM, "certificate_thumbprint": "x"}
    )
    assert status == 400
    assert bad["error"]["details"][0]["field"] == "certificate_thumbprint"


async def test_credentials_are_validated(env: Env) -> None:
    status, body = await env.call("PUT", "/api/v1/tenants/nope/graph", env.graph_credentials())
    assert status == 404
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    status, body = await env.call("PUT", "/api/v1/tenants/acme/graph", {"tenant_id": "t"})
    assert status == 400
    assert "client_id" in body["error"]["message"]
    status, body = await env.call(
        "PUT", "/api/v1/tenants/acme/graph", {"tenant_id": "t", "client_id": "c"}
    )
    assert status == 400
    assert "secret or a certificate" in body["error"]["message"]
    status, body = await env.call("PUT", "/api/v1/tenants/acme/garoon", {"base_url": "ftp://x"})
    assert status == 400


async def test_garoon_connection_with_basic_auth_and_proxy(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    answer = await env.ok(
        "PUT",
        "/api/v1/tenants/acme/garoon",
        env.garoon_credentials(
            basic_user="gate", basic_password="gate-pw", proxy_url="http://proxy:3128"
        ),
    )
    assert answer["garoon"]["password"] == "set"
    assert answer["garoon"]["basic_password"] == "set"
    assert answer["garoon"]["proxy_url"] == "http://proxy:3128"
    text = json.dumps(answer)
    assert "gate-pw" not in text
    assert "svc-password" not in text
    # Switching Basic auth off again.
    answer = await env.ok("PUT", "/api/v1/tenants/acme/garoon", {"basic_user": ""})
    assert answer["garoon"]["basic_user"] is None
    assert answer["garoon"]["basic_password"] == "not set"


async def test_policy_and_mappings(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    policy = await env.ok(
        "PUT",
        "/api/v1/tenants/acme/policy",
        {"conflict": "garoon-wins", "repeat_window_days": 730, "backfill_from": "2026-04-01"},
    )
    assert policy["conflict"] == "garoon-wins"
    assert policy["repeat_window_days"] == 730
    assert policy["backfill_from"] == "2026-04-01"
    policy = await env.ok("PUT", "/api/v1/tenants/acme/policy", {"backfill_from": None})
    assert policy["backfill_from"] is None
    assert policy["conflict"] == "garoon-wins"
    status, _ = await env.call("PUT", "/api/v1/tenants/acme/policy", {"conflict": "coin-flip"})
    assert status == 400
    status, _ = await env.call("PUT", "/api/v1/tenants/acme/policy", {"repeat_window_days": 1})
    assert status == 400

    base = "/api/v1/tenants/acme/mappings"
    await env.ok("PUT", base + "/facilities/room-3f", {"room": "room3f@contoso.example"})
    await env.ok("PUT", base + "/menus/%E4%BC%9A%E8%AD%B0", {"category": "Meeting"})
    got = await env.ok("GET", base)
    assert got == {
        "facility_rooms": {"room-3f": "room3f@contoso.example"},
        "menu_categories": {"会議": "Meeting"},
    }
    status, _ = await env.call("PUT", base + "/menus/other", {"category": "Meeting"})
    assert status == 409  # two menus on one category could not round-trip
    status, _ = await env.call("PUT", base + "/facilities/x", {"room": "not-an-address"})
    assert status == 400
    await env.ok("DELETE", base + "/facilities/room-3f")
    status, _ = await env.call("DELETE", base + "/facilities/room-3f")
    assert status == 404
    tenant = await env.store.tenants.get("acme")
    assert tenant is not None
    assert tenant.facility_rooms == {}
    assert tenant.menu_categories == {"会議": "Meeting"}


async def test_credentials_file_saved_with_a_bom(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    body = '{"tenant_id": "t", "client_id": "c", "client_secret": "s"}'
    status, answer = await env.call(
        "PUT", "/api/v1/tenants/acme/graph", data=("\ufeff" + body).encode()
    )
    assert status == 200, answer
    assert answer["graph"]["client_secret"] == "set"
    status, answer = await env.call("PUT", "/api/v1/tenants/acme/graph", data=b"{not json")
    assert status == 400
    assert answer["error"]["code"] == "bad_json"
