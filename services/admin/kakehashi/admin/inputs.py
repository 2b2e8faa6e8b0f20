"""Request bodies of the admin API, and merging them into what is stored."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from kakehashi.admin.http import ApiError
from kakehashi.contracts.state import (
    ConflictPolicy,
    GaroonCredentials,
    GraphCredentials,
    SyncPolicy,
)

_THUMBPRINT = re.compile(r"^[0-9A-Fa-f]{40}$")  # SHA-1, as Entra shows it
EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def new_hint_secret() -> str:
    return secrets.token_urlsafe(32)


def _url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("https://", "http://")):
        raise ValueError("must start with https:// or http://")
    return value.rstrip("/") if value else value


class TenantInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = ""


class GraphInput(BaseModel):
    """Field names as in 手配職人's authOfficeCalendar.json, so that file is accepted as is."""

    model_config = ConfigDict(extra="ignore")

    tenant_id: str | None = Field(default=None, min_length=1)
    client_id: str | None = Field(default=None, min_length=1)
    client_secret: SecretStr | None = None
    certificate_pem: SecretStr | None = None
    certificate_thumbprint: str | None = None
    secret_expires_at: datetime | date | None = None
    authority_host: str | None = None
    graph_base_url: str | None = None

    _check_urls = field_validator("authority_host", "graph_base_url")(_url)

    @field_validator("certificate_thumbprint")
    @classmethod
    def _thumbprint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        cleaned = value.replace(":", "").replace(" ", "")
        if not _THUMBPRINT.match(cleaned):
            raise ValueError("the thumbprint is 40 hexadecimal digits (SHA-1)")
        return cleaned.upper()

    @field_validator("certificate_pem")
    @classmethod
    def _pem(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and "PRIVATE KEY-----" not in value.get_secret_value():
            raise ValueError("expected a PEM private key (-----BEGIN PRIVATE KEY-----)")
        return value


def _expiry(value: datetime | date | None) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0), tzinfo=UTC)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def merge_graph(old: GraphCredentials | None, new: GraphInput) -> dict[str, Any]:
    """Fields left out keep their stored value; a new secret replaces a certificate and back."""
    data: dict[str, Any] = old.model_dump() if old is not None else {}
    for name in ("tenant_id", "client_id", "authority_host", "graph_base_url"):
        value = getattr(new, name)
        if value is not None:
            data[name] = value
    if new.client_secret is not None:
        data.update(client_secret=new.client_secret, certificate_pem=None)
        data["certificate_thumbprint"] = None
    if new.certificate_pem is not None:
        if not new.certificate_thumbprint:
            raise ApiError(400, "invalid", "a certificate needs its thumbprint")
        data.update(
            certificate_pem=new.certificate_pem,
            certificate_thumbprint=new.certificate_thumbprint,
            client_secret=None,
        )
    if "secret_expires_at" in new.model_fields_set:
        data["secret_expires_at"] = _expiry(new.secret_expires_at)
    elif new.client_secret is not None or new.certificate_pem is not None:
        data["secret_expires_at"] = None  # a new credential: the old expiry no longer applies
    missing = [n for n in ("tenant_id", "client_id") if not data.get(n)]
    if missing:
        raise ApiError(400, "invalid", f"missing {', '.join(missing)}")
    if data.get("client_secret") is None and data.get("certificate_pem") is None:
        raise ApiError(400, "invalid", "a client secret or a certificate is required")
    return data


class GaroonInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    login: str | None = Field(default=None, min_length=1)
    password: SecretStr | None = None
    basic_user: str | None = None
    basic_password: SecretStr | None = None
    proxy_url: str | None = None
    ca_file: str | None = None

    _check_urls = field_validator("base_url", "proxy_url")(_url)


def merge_garoon(old: GaroonCredentials | None, new: GaroonInput) -> dict[str, Any]:
    data: dict[str, Any] = old.model_dump() if old is not None else {}
    for name in new.model_fields_set:
        data[name] = getattr(new, name)
    if data.get("basic_user") in ("", None):
        data.update(basic_user=None, basic_password=None)  # "" switches Basic auth off
    missing = [n for n in ("base_url", "login", "password") if not data.get(n)]
    if missing:
        raise ApiError(400, "invalid", f"missing {', '.join(missing)}")
    return data


class PolicyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conflict: ConflictPolicy | None = None
    repeat_window_days: int | None = None
    backfill_from: date | None = None
    mass_delete_threshold: int | None = None


def merge_policy(old: SyncPolicy, new: PolicyInput) -> dict[str, Any]:
    data = old.model_dump()
    for name in new.model_fields_set:
        value = getattr(new, name)
        if value is None and name != "backfill_from":
            continue  # only the backfill date can be cleared with null
        data[name] = value
    return data


class UserInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    m365_address: str | None = None
    enabled: bool = True

    @field_validator("m365_address")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL.match(value.strip()):
            raise ValueError("not a valid e-mail address")
        return value.strip() if value else value


class RoomInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    room: str

    @field_validator("room")
    @classmethod
    def _room(cls, value: str) -> str:
        if not EMAIL.match(value.strip()):
            raise ValueError("a room mailbox address, e.g. room-3f@contoso.com")
        return value.strip()


class CategoryInput(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=255)
