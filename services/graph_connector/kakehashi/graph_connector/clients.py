"""One GraphClient per tenant, cached, rebuilt when the tenant's credentials change.

The cache matters twice: msal's token cache lives in the token provider (a new provider per
message would fetch a token per message), and the per-mailbox limiter lives in the client (the
"4 concurrent requests per mailbox" promise only holds if every handler shares one limiter).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp

from kakehashi.contracts.state import GraphCredentials, Tenant
from kakehashi.graph_client import CertificateCredential, GraphClient, MsalTokenProvider, Response
from kakehashi.graph_client.errors import TransportError
from kakehashi.graph_client.tenant import credential_of, token_provider
from kakehashi.graph_client.tenant import fingerprint as credentials_fingerprint
from kakehashi.graph_connector.metrics import GRAPH_CALLS, GRAPH_THROTTLED


class NotConfigured(Exception):
    """The tenant has no Microsoft 365 credentials (nothing to call Graph with)."""


def operation_of(method: str, url: str) -> str:
    """A low-cardinality label for a Graph call (never the ids in the path)."""
    path = urlsplit(url).path
    if "/calendarView/delta" in path:
        return "delta"
    if path.endswith("/calendarView"):
        return "calendar_view"
    if path.endswith("/instances"):
        return "instances"
    if path.endswith("/events"):
        return "create_event" if method.upper() == "POST" else "list_events"
    if "/events/" in path:
        tail = path.rsplit("/", 1)[-1]
        if method.upper() == "POST":
            return f"event_{tail}"  # accept, cancel, ...
        return f"{method.lower()}_event"
    if path.endswith("/calendar"):
        return "calendar"
    return "other"


class MeteredGraphClient(GraphClient):
    """GraphClient that counts every HTTP answer (the client itself exposes no metrics hook)."""

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], data: bytes | None
    ) -> Response | TransportError:
        result = await super()._send(method, url, headers, data)
        status = result.status if isinstance(result, Response) else 0
        GRAPH_CALLS.labels(operation_of(method, url), str(status)).inc()
        if status == 429:
            GRAPH_THROTTLED.inc()
        return result


def _credential(creds: GraphCredentials) -> str | CertificateCredential:
    credential = credential_of(creds)
    if credential is None:
        raise NotConfigured(
            "the tenant's Graph credentials hold neither a secret nor a certificate"
        )
    return credential


@dataclass
class _Entry:
    fingerprint: str
    client: GraphClient
    tokens: MsalTokenProvider


class ClientCache:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        ca_file: str | None = None,
        request_timeout: float = 60.0,
    ) -> None:
        self._session = session
        self._ca_file = ca_file
        self._timeout = request_timeout
        self._entries: dict[str, _Entry] = {}

    def client_for(self, tenant: Tenant) -> GraphClient:
        creds = tenant.graph
        if creds is None:
            raise NotConfigured(f"tenant {tenant.id} has no Graph credentials")
        fingerprint = credentials_fingerprint(creds)
        entry = self._entries.get(tenant.id)
        if entry is not None and entry.fingerprint == fingerprint:
            return entry.client
        if entry is not None:
            entry.tokens.close()  # rotated credentials: the old token cache must not be used
        tokens = token_provider(creds, _credential(creds), ca_file=self._ca_file)
        client = MeteredGraphClient(
            self._session, creds.graph_base_url, tokens, request_timeout=self._timeout
        )
        self._entries[tenant.id] = _Entry(fingerprint, client, tokens)
        return client

    def close(self) -> None:
        for entry in self._entries.values():
            entry.tokens.close()
        self._entries.clear()
