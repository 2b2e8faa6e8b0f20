"""API clients for the sandbox's tenant, built from its manifest (verify, bench, tests)."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from kakehashi.cli.sandbox.manifest import Manifest, UserEntry
from kakehashi.garoon_client import GaroonClient
from kakehashi.graph_client import GraphClient, MsalTokenProvider


def http_session(manifest: Manifest) -> aiohttp.ClientSession:
    """Trusts the Graph simulator's CA besides the system store."""
    tls = ssl.create_default_context()
    tls.load_verify_locations(manifest.graph.ca_file)
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=tls, limit=64))


@asynccontextmanager
async def graph_client(
    manifest: Manifest, session: aiohttp.ClientSession
) -> AsyncIterator[GraphClient]:
    """App-only Graph client with the tenant's credentials (as the connector would have)."""
    tokens = MsalTokenProvider(
        manifest.graph.tenant_id,
        manifest.graph.client_id,
        manifest.graph.client_secret,
        authority_host=manifest.graph.url,
        ca_file=manifest.graph.ca_file,
    )
    try:
        yield GraphClient(session, manifest.graph.url, tokens)
    finally:
        tokens.close()


def garoon_client(
    manifest: Manifest, session: aiohttp.ClientSession, user: UserEntry | None = None
) -> GaroonClient:
    """As one user (sees their private events) or, without one, as the service account."""
    if user is None:
        login, password = manifest.garoon.service_login, manifest.garoon.service_password
    else:
        login, password = user.login, user.garoon_password
    return GaroonClient(session, manifest.garoon.url, login=login, password=password)
