"""Short-lived Graph and Garoon clients built from a tenant's stored credentials.

Admin calls are rare and must reflect the credentials as stored right now, so every request
builds fresh clients (a fresh msal application, hence no cached token hiding a revoked secret)
and closes them afterwards. Retries are kept low: an admin waits for the answer.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from kakehashi.contracts.state import GaroonCredentials, GraphCredentials
from kakehashi.garoon_client import GaroonClient
from kakehashi.garoon_client.tenant import for_tenant, ssl_context
from kakehashi.graph_client import GraphClient, MsalTokenProvider
from kakehashi.graph_client import tenant as graph_tenant
from kakehashi.graph_client.tenant import credential_of
from kakehashi.runtime import ServiceContext

REQUEST_TIMEOUT = 15.0


def token_provider(ctx: ServiceContext, creds: GraphCredentials) -> MsalTokenProvider:
    credential = credential_of(creds)
    if credential is None:
        raise ValueError("neither a client secret nor a certificate is stored")
    return graph_tenant.token_provider(
        creds, credential, ca_file=ctx.settings.ca_file, timeout=REQUEST_TIMEOUT
    )


@asynccontextmanager
async def graph_client(
    ctx: ServiceContext, creds: GraphCredentials
) -> AsyncIterator[tuple[GraphClient, MsalTokenProvider]]:
    provider = token_provider(ctx, creds)
    try:
        client = GraphClient(
            ctx.http,
            creds.graph_base_url,
            provider,
            max_attempts=2,
            max_backoff=2.0,
            request_timeout=REQUEST_TIMEOUT,
        )
        yield client, provider
    finally:
        provider.close()


def garoon_client(ctx: ServiceContext, creds: GaroonCredentials) -> GaroonClient:
    tls: ssl.SSLContext | None = None
    if creds.base_url.startswith("https:"):
        tls = ssl_context(creds.ca_file or ctx.settings.ca_file)
    return for_tenant(
        creds, ctx.http, ssl_context=tls, max_attempts=1, request_timeout=REQUEST_TIMEOUT
    )
