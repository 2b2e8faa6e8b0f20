"""Building a tenant's GaroonClient from its stored `GaroonCredentials`."""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp

from kakehashi.contracts.state import GaroonCredentials
from kakehashi.garoon_client.client import GaroonClient


def ssl_context(ca_file: str | None) -> ssl.SSLContext | None:
    """A context that trusts `ca_file`, or None (the default trust) without one."""
    return ssl.create_default_context(cafile=ca_file) if ca_file else None


def for_tenant(
    creds: GaroonCredentials,
    session: aiohttp.ClientSession,
    *,
    ssl_context: ssl.SSLContext | None = None,
    **options: Any,
) -> GaroonClient:
    """A GaroonClient for the tenant's service account (`options` go to `GaroonClient`)."""
    basic = None
    if creds.basic_user and creds.basic_password is not None:
        basic = (creds.basic_user, creds.basic_password.get_secret_value())
    return GaroonClient(
        session,
        creds.base_url,
        login=creds.login,
        password=creds.password.get_secret_value(),
        basic_auth=basic,
        proxy=creds.proxy_url,
        ssl_context=ssl_context,
        **options,
    )
