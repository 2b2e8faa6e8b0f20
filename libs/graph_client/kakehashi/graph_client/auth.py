"""App-only tokens for Graph through msal, plus a claims reader for the token's `roles`.

One `MsalTokenProvider` per tenant: msal's token cache lives in the application object, so
reusing it is what makes the second call a cache hit (msal treats tokens with less than five
minutes left as expired and fetches a new one by itself). msal is synchronous (requests), so every
msal call runs in a worker thread, never on the event loop; this includes building the
application, because msal fetches the OpenID metadata in its constructor.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import msal
import requests

from kakehashi.graph_client.errors import (
    AuthError,
    TransportError,
    UnknownTenant,
    auth_error_from_msal,
)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com"
# Hosts for which msal's instance discovery is meaningful; anything else (the simulator, a
# sovereign-cloud proxy we were told about explicitly) is used verbatim.
_MICROSOFT_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.partner.microsoftonline.cn",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
)


class TokenProvider(Protocol):
    """What GraphClient needs: a bearer token, and a way to drop one Graph refused."""

    async def get_token(self) -> str: ...

    async def invalidate(self, token: str) -> None: ...


@dataclass(frozen=True)
class CertificateCredential:
    """A certificate credential as msal takes it (PEM private key + SHA-1 thumbprint, hex)."""

    private_key: str
    thumbprint: str
    passphrase: str | None = None
    public_certificate: str | None = None

    def as_msal(self) -> dict[str, str]:
        out = {"private_key": self.private_key, "thumbprint": self.thumbprint}
        if self.passphrase:
            out["passphrase"] = self.passphrase
        if self.public_certificate:
            out["public_certificate"] = self.public_certificate
        return out


class _PinnedCASession(requests.Session):
    """A requests session that really uses its own CA file.

    requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override `Session.verify` whenever the
    per-request `verify` is left unset and `trust_env` is on (which is how msal calls it). We keep
    `trust_env` on on purpose, because corporate deployments reach Microsoft through HTTPS_PROXY,
    and instead hand the configured CA in as the per-request value, which the environment
    cannot override (proxy variables still apply).
    """

    def __init__(self, ca_file: str) -> None:
        super().__init__()
        self.verify = ca_file

    def merge_environment_settings(
        self,
        url: str,
        proxies: dict[str, str] | None,
        stream: bool | None,
        verify: bool | str | None,
        cert: str | tuple[str, str] | None,
    ) -> dict[str, Any]:
        if verify is None or verify is True:
            verify = self.verify  # a path: requests then leaves the CA env variables alone
        return super().merge_environment_settings(url, proxies, stream, verify, cert)


def make_http_session(ca_file: str | None) -> requests.Session:
    """The requests session msal uses; with `ca_file` only that CA is trusted."""
    if ca_file:
        return _PinnedCASession(ca_file)
    return requests.Session()  # system/certifi trust, env proxies and CA bundles honoured


class MsalTokenProvider:
    """Client-credentials tokens for one tenant (secret or certificate)."""

    def __init__(
        self,
        tenant_id: str,
        client_id: str,
        credential: str | CertificateCredential | Mapping[str, str],
        *,
        authority_host: str = MICROSOFT_AUTHORITY,
        ca_file: str | None = None,
        scopes: tuple[str, ...] = (GRAPH_SCOPE,),
        timeout: float = 30.0,
        http_session: requests.Session | None = None,
    ) -> None:
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        host = (urlsplit(authority_host).hostname or "").lower()
        self._instance_discovery = host in _MICROSOFT_HOSTS
        if isinstance(credential, CertificateCredential):
            self._credential: str | dict[str, str] = credential.as_msal()
        elif isinstance(credential, Mapping):
            self._credential = dict(credential)
        else:
            self._credential = credential
        self._scopes = list(scopes)
        self._timeout = timeout
        self._owns_http = http_session is None
        self._http = http_session or make_http_session(ca_file)
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = asyncio.Lock()  # one msal round trip at a time; others then hit the cache
        self.last_token_source: str | None = None

    def close(self) -> None:
        """Close the pooled connections of the session this provider created."""
        if self._owns_http:
            self._http.close()

    async def get_token(self) -> str:
        async with self._lock:
            result = await asyncio.to_thread(self._acquire)
        token = result.get("access_token")
        if not isinstance(token, str):
            raise auth_error_from_msal(result)
        self.last_token_source = str(result.get("token_source") or "")
        return token

    async def get_token_result(self) -> dict[str, Any]:
        """The whole msal result (expires_in, token_source...); raises AuthError on failure."""
        async with self._lock:
            result = await asyncio.to_thread(self._acquire)
        if "access_token" not in result:
            raise auth_error_from_msal(result)
        return result

    async def invalidate(self, token: str) -> None:
        """Drop cached app tokens so the next get_token asks the authority again.

        msal refuses force_refresh for client credentials; removing the cached tokens is the
        supported way. Skipped when the cache already holds a different (newer) token, so a burst
        of 401s on one old token causes one refresh, not one per request.
        """
        async with self._lock:
            await asyncio.to_thread(self._remove_if_current, token)

    def _remove_if_current(self, token: str) -> None:
        app = self._app
        if app is None:
            return
        cached = app.token_cache.search(
            msal.TokenCache.CredentialType.ACCESS_TOKEN, query={"client_id": self.client_id}
        )
        if any(entry.get("secret") == token for entry in cached):
            app.remove_tokens_for_client()

    # -- runs in a worker thread
    def _acquire(self) -> dict[str, Any]:
        try:
            app = self._app or self._build_app()
            self._app = app
            result = app.acquire_token_for_client(scopes=self._scopes)
        except requests.exceptions.RequestException as exc:
            raise TransportError(f"identity platform unreachable: {exc}") from exc
        except ValueError as exc:
            # msal raises ValueError when the authority's OpenID metadata cannot be read, which
            # for a well-formed URL means the tenant does not exist.
            raise UnknownTenant(f"tenant {self.tenant_id!r}: {exc}", aadsts=90002) from exc
        if not isinstance(result, dict):
            raise AuthError("msal returned no result")
        return result

    def _build_app(self) -> msal.ConfidentialClientApplication:
        return msal.ConfidentialClientApplication(
            self.client_id,
            client_credential=self._credential,
            authority=self.authority,
            http_client=self._http,
            timeout=self._timeout,
            instance_discovery=self._instance_discovery,
        )


def decode_claims(token: str) -> dict[str, Any]:
    """The JWT payload, without checking the signature.

    Safe here because we only read our own token, which came straight from the authority over
    verified TLS; never use this on a token received from someone else.
    """
    parts = token.split(".")
    if len(parts) < 2:
        raise ValueError("not a JWT")
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not a JWT") from exc
    if not isinstance(claims, dict):
        raise ValueError("JWT payload is not an object")
    return claims


def token_roles(token: str) -> list[str]:
    """Application permissions granted to the app (`roles` claim), e.g. Calendars.ReadWrite."""
    roles = decode_claims(token).get("roles", [])
    return [str(r) for r in roles] if isinstance(roles, list) else []


def missing_roles(token: str, required: Iterable[str]) -> list[str]:
    """Required application permissions absent from the token (e.g. consent not granted)."""
    granted = {r.lower() for r in token_roles(token)}
    return [r for r in required if r.lower() not in granted]
