"""One GraphClient per tenant, rebuilt when the tenant's credentials change.

msal keeps its token cache in the application object, so reusing the client per tenant is what
makes tokens come from the cache instead of the identity platform on every tick.
"""

from __future__ import annotations

from collections.abc import Callable

import aiohttp

from kakehashi.contracts.state import GraphCredentials, Tenant
from kakehashi.graph_client import CertificateCredential, GraphClient
from kakehashi.graph_client.tenant import credential_of, fingerprint, token_provider

ClientFactory = Callable[[Tenant], GraphClient]


class NoCredentials(Exception):
    """The tenant has no usable Graph credential (neither secret nor certificate)."""


class GraphClients:
    def __init__(self, session: aiohttp.ClientSession, *, ca_file: str | None = None) -> None:
        self._session = session
        self._ca_file = ca_file
        self._cache: dict[str, tuple[str, GraphClient]] = {}

    def for_tenant(self, tenant: Tenant) -> GraphClient:
        graph = tenant.graph
        if graph is None:
            raise NoCredentials(f"tenant {tenant.id} has no Graph credentials")
        key = fingerprint(graph)
        cached = self._cache.get(tenant.id)
        if cached is not None and cached[0] == key:
            return cached[1]
        provider = token_provider(graph, _credential(tenant.id, graph), ca_file=self._ca_file)
        client = GraphClient(self._session, graph.graph_base_url, provider)
        self._cache[tenant.id] = (key, client)
        return client


def _credential(tenant_id: str, graph: GraphCredentials) -> str | CertificateCredential:
    credential = credential_of(graph)
    if credential is None:
        raise NoCredentials(f"tenant {tenant_id} has neither a client secret nor a certificate")
    return credential
