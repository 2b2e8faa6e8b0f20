"""`verify` names the exact cause of each failure, seeded in the simulators (en + ja)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kakehashi.garoon_sim import FaultRule, GaroonSimServer
from tests.admin.conftest import Env

HOUR_EN = "up to an hour"
HOUR_JA = "最大 1 時間"


async def _verify(env: Env, tenant: str = "acme") -> tuple[bool, dict[str, dict[str, Any]]]:
    result = await env.ok("POST", f"/api/v1/tenants/{tenant}/verify")
    checks = {c["id"]: c for c in result["checks"]}
    for check in checks.values():
        assert check["message_en"]
        assert check["message_ja"]
        assert check["ok"] == (check["level"] != "error")
    assert result["ok"] == all(c["ok"] for c in checks.values())
    return result["ok"], checks


async def _with_graph(env: Env, **override: Any) -> None:
    await env.configured()
    await env.ok("PUT", "/api/v1/tenants/acme/graph", env.graph_credentials(**override))


async def test_working_setup_passes_with_mailbox_checked(env: Env) -> None:
    await env.configured()
    await env.ok("PUT", "/api/v1/tenants/acme/users/sato", {"m365_address": "sato@contoso.example"})
    ok, checks = await _verify(env)
    assert ok, checks
    assert checks["graph.token"]["ok"]
    assert checks["graph.permission.Calendars.ReadWrite"]["level"] == "ok"
    assert checks["graph.mailbox.sato@contoso.example"]["level"] == "ok"
    assert checks["garoon.login"]["level"] == "ok"
    assert checks["garoon.schedule"]["level"] == "ok"
    # Teams meetings go through the calendar: the standalone permission is only a warning.
    assert checks["graph.permission.OnlineMeetings.ReadWrite.All"]["level"] == "warning"


async def test_wrong_secret(env: Env) -> None:
    await _with_graph(env, client_secret="not-the-secret")
    ok, checks = await _verify(env)
    assert not ok
    check = checks["graph.secret"]
    assert "client secret (or certificate) is wrong" in check["message_en"]
    assert "AADSTS7000215" in check["message_en"]
    assert "正しくありません" in check["message_ja"]
    assert "graph.permission.Calendars.ReadWrite" not in checks  # no token, no follow-on noise


async def test_expired_secret(env: Env) -> None:
    past = datetime.now(UTC) - timedelta(days=2)
    old = env.graph.sim.add_app(env.entra_tenant, secret="old-secret", secret_expires=past)
    await _with_graph(
        env, client_id=old.client_id, client_secret="old-secret", secret_expires_at=past.isoformat()
    )
    ok, checks = await _verify(env)
    assert not ok
    assert "expired" in checks["graph.secret"]["message_en"]
    assert "AADSTS7000222" in checks["graph.secret"]["message_en"]
    assert "期限が切れています" in checks["graph.secret"]["message_ja"]
    # The stored expiry date says the same before even asking Entra.
    assert checks["graph.secret_expiry"]["level"] == "error"


async def test_secret_expiring_soon_is_a_warning(env: Env) -> None:
    soon = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    await _with_graph(env, secret_expires_at=soon)
    ok, checks = await _verify(env)
    assert ok
    assert checks["graph.secret_expiry"]["level"] == "warning"
    assert soon in checks["graph.secret_expiry"]["message_en"]
    shown = await env.ok("GET", "/api/v1/tenants/acme")  # the admin view warns too
    assert 8 <= shown["graph"]["secret_expires_in_days"] <= 10


async def test_unknown_tenant(env: Env) -> None:
    await _with_graph(env, tenant_id="no-such-tenant.example")
    ok, checks = await _verify(env)
    assert not ok
    check = checks["graph.tenant"]
    assert "'no-such-tenant.example' does not exist" in check["message_en"]
    assert "存在しません" in check["message_ja"]


async def test_unknown_client_id(env: Env) -> None:
    await _with_graph(env, client_id="00000000-0000-0000-0000-000000000000")
    ok, checks = await _verify(env)
    assert not ok
    assert "AADSTS700016" in checks["graph.client"]["message_en"]


async def test_admin_consent_missing(env: Env) -> None:
    app = env.graph.sim.add_app(env.entra_tenant, secret="s2", consented=False)
    await _with_graph(env, client_id=app.client_id, client_secret="s2")
    ok, checks = await _verify(env)
    assert not ok
    check = checks["graph.consent"]
    assert "Admin consent has not been granted" in check["message_en"]
    assert HOUR_EN in check["message_en"]
    assert HOUR_JA in check["message_ja"]
    assert "管理者の同意" in check["message_ja"]


async def test_admin_consent_missing_as_aadsts_error(env: Env) -> None:
    env.graph.sim.set_switches(missing_consent="error")
    app = env.graph.sim.add_app(env.entra_tenant, secret="s2", consented=False)
    await _with_graph(env, client_id=app.client_id, client_secret="s2")
    ok, checks = await _verify(env)
    assert not ok
    assert "AADSTS65001" in checks["graph.consent"]["message_en"]


async def test_missing_application_permissions_are_named(env: Env) -> None:
    app = env.graph.sim.add_app(env.entra_tenant, secret="s3", roles=["Calendars.ReadWrite"])
    await _with_graph(env, client_id=app.client_id, client_secret="s3")
    ok, checks = await _verify(env)
    assert not ok
    users = checks["graph.permission.User.Read.All"]
    assert users["level"] == "error"
    assert "User.Read.All is missing" in users["message_en"]
    assert HOUR_EN in users["message_en"]
    assert HOUR_JA in users["message_ja"]
    assert checks["graph.permission.Calendars.ReadWrite"]["level"] == "ok"
    assert checks["graph.permission.Place.Read.All"]["level"] == "warning"
    # Once facilities are mapped to rooms, listing rooms is needed.
    await env.ok(
        "PUT", "/api/v1/tenants/acme/mappings/facilities/f1", {"room": "r1@contoso.example"}
    )
    _, checks = await _verify(env)
    assert checks["graph.permission.Place.Read.All"]["level"] == "error"


async def test_linked_users_mailbox_not_found(env: Env) -> None:
    await env.configured()
    await env.ok("PUT", "/api/v1/tenants/acme/users/sato", {"m365_address": "sato@contoso.example"})
    gone = env.graph.sim.find_user(env.entra_tenant, "sato@contoso.example")
    assert gone is not None
    del env.graph.sim.users[gone.id]  # the mailbox was removed after linking
    ok, checks = await _verify(env)
    assert not ok
    check = checks["graph.mailbox.sato@contoso.example"]
    assert "No Microsoft 365 mailbox was found for sato@contoso.example" in check["message_en"]
    assert "見つかりません" in check["message_ja"]


async def test_garoon_unreachable(env: Env) -> None:
    await env.configured()
    await env.ok("PUT", "/api/v1/tenants/acme/garoon", {"base_url": "http://127.0.0.1:9/g"})
    ok, checks = await _verify(env)
    assert not ok
    assert checks["graph.token"]["ok"]  # the Microsoft side is still fine
    check = checks["garoon.reachable"]
    assert "could not be reached" in check["message_en"]
    assert "接続できません" in check["message_ja"]


async def test_garoon_wrong_password(env: Env) -> None:
    await env.configured()
    await env.ok("PUT", "/api/v1/tenants/acme/garoon", {"password": "wrong"})
    ok, checks = await _verify(env)
    assert not ok
    check = checks["garoon.login"]
    assert "refused the login 'kakehashi-svc'" in check["message_en"]
    assert "拒否しました" in check["message_ja"]


async def test_nothing_configured(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    ok, checks = await _verify(env)
    assert not ok
    assert set(checks) == {"graph.credentials", "garoon.credentials"}


async def test_garoon_permission_missing(env: Env) -> None:
    await env.configured()
    env.garoon.sim.add_fault(FaultRule(path="/api/v1/schedule/events*", status=403))
    ok, checks = await _verify(env)
    assert not ok
    assert checks["garoon.login"]["ok"]
    check = checks["garoon.permission"]
    assert "lacks permission to read schedules" in check["message_en"]
    assert "権限がありません" in check["message_ja"]


async def test_garoon_basic_auth_refused(env: Env) -> None:
    await env.configured()
    async with GaroonSimServer(port=0, sim=env.garoon.sim, basic_auth=("gate", "gate-pw")) as gated:
        creds = env.garoon_credentials(
            base_url=gated.base_url, basic_user="gate", basic_password="wrong"
        )
        await env.ok("PUT", "/api/v1/tenants/acme/garoon", creds)
        ok, checks = await _verify(env)
        assert not ok
        assert "Basic authentication" in checks["garoon.basic_auth"]["message_en"]
        await env.ok("PUT", "/api/v1/tenants/acme/garoon", {"basic_password": "gate-pw"})
        ok, checks = await _verify(env)
        assert ok, checks


def _self_signed() -> tuple[str, str, str]:
    """(key PEM, certificate PEM, SHA-1 thumbprint) for an app that signs in with a certificate."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kakehashi-admin-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    thumbprint = cert.fingerprint(hashes.SHA1()).hex()  # Entra shows SHA-1 thumbprints
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode(), thumbprint


async def test_certificate_instead_of_a_secret(env: Env) -> None:
    key_pem, cert_pem, thumbprint = _self_signed()
    app = env.graph.sim.add_app(env.entra_tenant, secret=None, certificates=[cert_pem])
    await env.configured()
    await env.ok(
        "PUT",
        "/api/v1/tenants/acme/graph",
        {
            "client_id": app.client_id,
            "certificate_pem": key_pem,
            "certificate_thumbprint": thumbprint,
        },
    )
    ok, checks = await _verify(env)
    assert ok, checks
    assert checks["graph.token"]["ok"]
    # A certificate whose thumbprint Entra does not know is reported like a wrong secret.
    other_key, _, other_thumb = _self_signed()
    await env.ok(
        "PUT",
        "/api/v1/tenants/acme/graph",
        {"certificate_pem": other_key, "certificate_thumbprint": other_thumb},
    )
    ok, checks = await _verify(env)
    assert not ok
    assert "graph.secret" in checks
