"""Identity platform: real msal over verified TLS, AADSTS errors, token checks on Graph calls."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from kakehashi.graph_sim import GraphSimServer

from .conftest import SCOPE, Graph, Seeded


async def _msal_app(
    server: GraphSimServer, seeded: Seeded, credential: Any
) -> msal.ConfidentialClientApplication:
    # msal is blocking (it even fetches the OpenID metadata in its constructor): use a thread.
    return await asyncio.to_thread(_build, server, seeded, credential)


def _build(
    server: GraphSimServer, seeded: Seeded, credential: Any
) -> msal.ConfidentialClientApplication:
    http = requests.Session()
    http.verify = str(server.ca_file)
    # The machine may set REQUESTS_CA_BUNDLE, which would override Session.verify (see reference).
    http.trust_env = False
    return msal.ConfidentialClientApplication(
        seeded.client_id,
        client_credential=credential,
        authority=f"{server.base_url}/{seeded.tenant_id}",
        instance_discovery=False,
        http_client=http,
    )


async def test_msal_gets_a_token_over_verified_tls_and_uses_its_cache(
    server: GraphSimServer, seeded: Seeded, graph: Graph
) -> None:
    app = await _msal_app(server, seeded, seeded.secret)
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[SCOPE])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    again = await asyncio.to_thread(app.acquire_token_for_client, scopes=[SCOPE])
    assert again["token_source"] == "cache"
    reply = await graph.get(f"/users/{seeded.alice}", token=result["access_token"])
    assert reply.status == 200
    assert reply.body["userPrincipalName"] == "alice@contoso.example"


async def test_msal_wrong_secret_gives_the_aadsts_error_dict(
    server: GraphSimServer, seeded: Seeded
) -> None:
    app = await _msal_app(server, seeded, "wrong")
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[SCOPE])
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS7000215:")
    assert 7000215 in result["error_codes"]


def _self_signed() -> tuple[str, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kakehashi-cert-cred")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pem_cert = cert.public_bytes(serialization.Encoding.PEM).decode()
    thumb = cert.fingerprint(hashes.SHA1()).hex().upper()
    return pem_key, pem_cert, thumb


async def test_msal_certificate_credential(server: GraphSimServer, seeded: Seeded) -> None:
    pem_key, pem_cert, thumb = _self_signed()
    server.sim.apps[(seeded.tenant_id, seeded.client_id)].certificates.append(pem_cert)
    app = await _msal_app(server, seeded, {"private_key": pem_key, "thumbprint": thumb})
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[SCOPE])
    assert "access_token" in result, result
    other_key, _other_cert, other_thumb = _self_signed()
    bad = await _msal_app(server, seeded, {"private_key": other_key, "thumbprint": other_thumb})
    result = await asyncio.to_thread(bad.acquire_token_for_client, scopes=[SCOPE])
    assert result["error"] == "invalid_client"
    assert result["error_description"].startswith("AADSTS700027:")


async def test_token_endpoint_errors(server: GraphSimServer, seeded: Seeded, graph: Graph) -> None:
    reply = await graph.fetch_token(client_id="00000000-0000-0000-0000-000000000000")
    assert reply.status == 400
    assert reply.body["error"] == "unauthorized_client"
    assert reply.body["error_description"].startswith("AADSTS700016:")
    app = server.sim.apps[(seeded.tenant_id, seeded.client_id)]
    app.secret_expires = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    reply = await graph.fetch_token()
    assert (reply.status, reply.body["error"]) == (401, "invalid_client")
    assert reply.body["error_description"].startswith("AADSTS7000222:")
    async with graph.session.post(
        f"{server.base_url}/nosuchtenant.example/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": seeded.client_id,
            "client_secret": "x",
            "scope": SCOPE,
        },
    ) as resp:
        body = await resp.json()
        assert resp.status == 400
        assert body["error"] == "invalid_request"
        assert body["error_description"].startswith("AADSTS90002:")


async def test_token_claims_and_missing_consent(
    server: GraphSimServer, seeded: Seeded, graph: Graph
) -> None:
    import jwt

    claims = jwt.decode(graph.token or "", options={"verify_signature": False})
    assert claims["tid"] == seeded.tenant_id
    assert claims["appid"] == seeded.client_id
    assert "Calendars.ReadWrite" in claims["roles"]
    assert jwt.get_unverified_header(graph.token or "")["alg"] == "RS256"
    server.sim.apps[(seeded.tenant_id, seeded.client_id)].consented = False
    reply = await graph.fetch_token()
    assert reply.status == 200
    no_roles = reply.body["access_token"]
    assert "roles" not in jwt.decode(no_roles, options={"verify_signature": False})
    denied = await graph.get(f"/users/{seeded.alice}/events", token=no_roles)
    assert denied.status == 403
    assert denied.body["error"]["code"] == "ErrorAccessDenied"
    assert denied.body["error"]["message"] == "Access is denied. Check credentials and try again."
    assert set(denied.body["error"]["innerError"]) >= {"date", "request-id", "client-request-id"}
    server.sim.set_switches(missing_consent="error")
    reply = await graph.fetch_token()
    assert reply.status == 400
    assert reply.body["error_description"].startswith("AADSTS65001:")


async def test_graph_calls_need_a_valid_token(
    server: GraphSimServer, seeded: Seeded, graph: Graph
) -> None:
    assert (await graph.get(f"/users/{seeded.alice}/events")).status == 200
    missing = await graph.call("GET", f"/users/{seeded.alice}/events", token="")
    assert missing.status == 401
    assert missing.body["error"]["code"] == "InvalidAuthenticationToken"
    forged = await graph.get(f"/users/{seeded.alice}/events", token="abc.def.ghi")
    assert forged.status == 401
    server.sim.expire_tokens()
    expired = await graph.get(f"/users/{seeded.alice}/events")
    assert expired.status == 401
    assert "expired" in expired.body["error"]["message"]
    await graph.login()
    assert (await graph.get(f"/users/{seeded.alice}/events")).status == 200


async def test_openid_configuration(server: GraphSimServer, seeded: Seeded, graph: Graph) -> None:
    async with graph.session.get(
        f"{server.base_url}/{seeded.tenant_id}/v2.0/.well-known/openid-configuration"
    ) as resp:
        body = await resp.json()
    assert body["token_endpoint"] == f"{server.base_url}/{seeded.tenant_id}/oauth2/v2.0/token"
    async with graph.session.get(body["jwks_uri"]) as resp:
        assert (await resp.json())["keys"][0]["kty"] == "RSA"
