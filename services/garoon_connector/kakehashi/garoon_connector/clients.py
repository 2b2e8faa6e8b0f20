"""Per-tenant Garoon access: one cached GaroonClient per tenant (rebuilt when its credentials
change), the translation tables, and directory look-ups SOAP needs (login -> numeric user id).

Garoon has no "act as" header, so every call runs as the tenant's service account; that
account must be able to see and edit the linked users' schedules.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from kakehashi.bus.api import Poison
from kakehashi.contracts.state import GaroonCredentials, Tenant, UserLink
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.garoon_client import GaroonClient, GaroonError
from kakehashi.garoon_client.tenant import for_tenant, ssl_context
from kakehashi.garoon_connector.metrics import GAROON_CALLS
from kakehashi.store import Store

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


async def call(op: str, awaitable: Awaitable[T]) -> T:
    """Await one Garoon call and count it (`kakehashi_garoon_calls_total{op,outcome}`)."""
    try:
        result = await awaitable
    except GaroonError as exc:
        GAROON_CALLS.labels(op, type(exc).__name__).inc()
        raise
    GAROON_CALLS.labels(op, "ok").inc()
    return result


def _fingerprint(creds: GaroonCredentials) -> str:
    # Secrets are part of the key (so a password change rebuilds the client) but only hashed.
    raw = creds.model_dump(mode="python")
    for name in ("password", "basic_password"):
        value = getattr(creds, name)
        raw[name] = value.get_secret_value() if value is not None else None
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class TenantView:
    """What a handler needs about one tenant, valid for a short while (see ClientCache.ttl)."""

    tenant: Tenant
    client: GaroonClient
    translation: TranslationContext
    links: list[UserLink]
    user_ids: dict[str, str] = field(default_factory=dict)  # Garoon login -> numeric id
    facility_ids: dict[str, str] = field(default_factory=dict)  # facility code -> id

    @property
    def service_login(self) -> str:
        return self.client.login

    def link_for_login(self, login: str | None) -> UserLink | None:
        for link in self.links:
            if login and login in (link.garoon_login, link.garoon_user_id):
                return link
        return None

    async def user_id(self, login: str) -> str | None:
        """The numeric Garoon user id of a login name (SOAP members and list targets need it)."""
        link = self.link_for_login(login)
        if link is not None and link.garoon_user_id:
            return link.garoon_user_id
        if login.isdigit():
            return login
        if login not in self.user_ids:
            user = await call("get_user", self.client.get_user_by_login(login))
            if user is None:
                return None
            self.user_ids[login] = str(user["id"])
        return self.user_ids[login]

    async def facility_id(self, code: str) -> str | None:
        if not self.facility_ids:
            for fac in await call("list_facilities", self.client.list_facilities()):
                self.facility_ids[str(fac.get("code"))] = str(fac.get("id"))
        return self.facility_ids.get(code)


@dataclass
class _Entry:
    fingerprint: str
    client: GaroonClient
    user_ids: dict[str, str]
    facility_ids: dict[str, str]


class ClientCache:
    """Tenant id -> TenantView. Tenants and links are re-read after `ttl` seconds; the client
    (and its connection bound / directory caches) survives as long as the credentials do."""

    def __init__(
        self,
        store: Store,
        http: aiohttp.ClientSession,
        *,
        ttl: float = 30.0,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self._store = store
        self._http = http
        self.ttl = ttl
        self._client_options = client_options or {}
        self._entries: dict[str, _Entry] = {}
        self._views: dict[str, tuple[float, TenantView]] = {}

    def invalidate(self, tenant_id: str | None = None) -> None:
        if tenant_id is None:
            self._views.clear()
        else:
            self._views.pop(tenant_id, None)

    async def get(self, tenant_id: str) -> TenantView:
        cached = self._views.get(tenant_id)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        tenant = await self._store.tenants.get(tenant_id)
        if tenant is None or tenant.garoon is None:
            # Retrying cannot conjure a tenant: dead-letter with a clear reason.
            raise Poison(f"tenant {tenant_id!r} is unknown or has no Garoon credentials")
        entry = self._entry(tenant_id, tenant.garoon)
        links = await self._store.user_links.list(tenant_id)
        translation = TranslationContext(
            facility_rooms=dict(tenant.facility_rooms),
            menu_categories=dict(tenant.menu_categories),
            users={link.garoon_login: link.m365_address for link in links},
        )
        view = TenantView(
            tenant=tenant,
            client=entry.client,
            translation=translation,
            links=links,
            user_ids=entry.user_ids,
            facility_ids=entry.facility_ids,
        )
        self._views[tenant_id] = (time.monotonic(), view)
        return view

    def _entry(self, tenant_id: str, creds: GaroonCredentials) -> _Entry:
        fp = _fingerprint(creds)
        entry = self._entries.get(tenant_id)
        if entry is None or entry.fingerprint != fp:
            entry = _Entry(fp, self._build(creds), {}, {})
            self._entries[tenant_id] = entry
        return entry

    def _build(self, creds: GaroonCredentials) -> GaroonClient:
        context = ssl_context(creds.ca_file)
        return for_tenant(creds, self._http, ssl_context=context, **self._client_options)
