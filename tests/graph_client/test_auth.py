"""msal error mapping, claims, and the CA pinning of the session handed to msal."""

from __future__ import annotations

import base64
import json

import pytest

from kakehashi.graph_client import (
    AuthError,
    ConsentMissing,
    ExpiredSecret,
    InvalidSecret,
    UnknownClient,
    UnknownTenant,
    auth_error_from_msal,
    decode_claims,
    make_http_session,
    token_roles,
)


@pytest.mark.parametrize(
    ("code", "error", "cls"),
    [
        (7000215, "invalid_client", InvalidSecret),
        (7000222, "invalid_client", ExpiredSecret),
        (90002, "invalid_request", UnknownTenant),
        (700016, "unauthorized_client", UnknownClient),
        (65001, "invalid_grant", ConsentMissing),
        (50000, "temporarily_unavailable", AuthError),
    ],
)
def test_msal_error_dicts_map_to_types(code: int, error: str, cls: type[AuthError]) -> None:
    result = {
        "error": error,
        "error_description": f"AADSTS{code}: something.\r\nTrace ID: x",
        "error_codes": [code],
    }
    err = auth_error_from_msal(result)
    assert type(err) is cls
    assert err.aadsts == code
    assert err.error == error
    assert err.description.startswith(f"AADSTS{code}")


def test_aadsts_code_is_read_from_the_description_without_error_codes() -> None:
    err = auth_error_from_msal(
        {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret."}
    )
    assert isinstance(err, InvalidSecret)
    assert err.aadsts == 7000215


def _jwt(claims: dict[str, object]) -> str:
    def part(obj: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part(claims)}.sig"


def test_claims_and_roles() -> None:
    token = _jwt({"tid": "t1", "roles": ["Calendars.ReadWrite", "User.Read.All"]})
    assert decode_claims(token)["tid"] == "t1"
    assert token_roles(token) == ["Calendars.ReadWrite", "User.Read.All"]
    assert token_roles(_jwt({"tid": "t1"})) == []
    with pytest.raises(ValueError, match="JWT"):
        decode_claims("garbage")


def test_configured_ca_beats_requests_ca_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/other.pem")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    pinned = make_http_session("/tmp/sim-ca.pem")
    settings = pinned.merge_environment_settings("https://login.example/t", {}, None, None, None)
    assert settings["verify"] == "/tmp/sim-ca.pem"
    assert (
        settings["proxies"].get("https") == "http://proxy.example:3128"
    )  # env proxies still apply
    plain = make_http_session(None)
    settings = plain.merge_environment_settings("https://login.example/t", {}, None, None, None)
    assert settings["verify"] == "/etc/ssl/other.pem"
