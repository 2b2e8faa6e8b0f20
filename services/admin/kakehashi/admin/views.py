"""JSON views of stored documents. Secrets are never echoed: only whether they are set."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import SecretStr

from kakehashi.contracts.state import Tenant, UserLink


def _set(value: SecretStr | None) -> str:
    return "set" if value is not None and value.get_secret_value() else "not set"


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def _days_left(expires: datetime | None, now: datetime) -> int | None:
    return None if expires is None else (expires - now).days


def tenant_view(tenant: Tenant, now: datetime) -> dict[str, Any]:
    """`now` gives the days left until the client secret expires (negative: expired)."""
    graph = tenant.graph
    garoon = tenant.garoon
    return {
        "id": tenant.id,
        "name": tenant.name,
        "graph": None
        if graph is None
        else {
            "tenant_id": graph.tenant_id,
            "client_id": graph.client_id,
            "client_secret": _set(graph.client_secret),
            "certificate": _set(graph.certificate_pem),
            "certificate_thumbprint": graph.certificate_thumbprint,
            "secret_expires_at": _iso(graph.secret_expires_at),
            "secret_expires_in_days": _days_left(graph.secret_expires_at, now),
            "authority_host": graph.authority_host,
            "graph_base_url": graph.graph_base_url,
        },
        "garoon": None
        if garoon is None
        else {
            "base_url": garoon.base_url,
            "login": garoon.login,
            "password": _set(garoon.password),
            "basic_user": garoon.basic_user,
            "basic_password": _set(garoon.basic_password),
            "proxy_url": garoon.proxy_url,
            "ca_file": garoon.ca_file,
        },
        "hint_secret": _set(tenant.hint_secret),
        "policy": tenant.policy.model_dump(mode="json"),
        "facility_rooms": dict(tenant.facility_rooms),
        "menu_categories": dict(tenant.menu_categories),
        "created_at": _iso(tenant.created_at),
    }


def link_view(link: UserLink) -> dict[str, Any]:
    return {
        "id": link.id,
        "garoon_login": link.garoon_login,
        "garoon_user_id": link.garoon_user_id,
        "m365_address": link.m365_address,
        "graph_user_id": link.graph_user_id,
        "enabled": link.enabled,
        "status": link.status.value,
        "reason": link.reason,
        "linked_at": _iso(link.linked_at),
        "last_sync_at": _iso(link.last_sync_at),
    }
