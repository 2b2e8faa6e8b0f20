"""The machine-readable description of a running sandbox (`.kakehashi/sandbox.json`).

Everything a script needs to drive the sandbox through the simulators' real-API endpoints alone:
URLs, the Graph simulator's CA, the tenant's credentials, every user's credentials and ids.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GraphSide(_Model):
    url: str  # https://127.0.0.1:8443 (authority host and Graph root)
    api_url: str  # .../v1.0
    token_url: str
    control_url: str
    ca_file: str
    tenant_id: str
    domain: str
    client_id: str
    client_secret: str
    roles: list[str]


class GaroonSide(_Model):
    url: str  # http://127.0.0.1:8081/g
    rest_url: str
    soap_url: str
    control_url: str
    service_login: str
    service_password: str


class ServiceEntry(_Model):
    url: str
    pid: int | None = None  # set when the service runs in its own process


class UserEntry(_Model):
    login: str
    garoon_id: str
    garoon_password: str
    garoon_name: str
    email: str
    graph_id: str
    display_name: str
    link_id: str


class RoomEntry(_Model):
    code: str
    name: str
    garoon_id: str
    email: str


class TenantEntry(_Model):
    id: str
    name: str
    hint_secret: str
    time_zone: str


class Manifest(_Model):
    version: int = 1
    pid: int
    bus: str
    store: str
    graph: GraphSide
    garoon: GaroonSide
    services: dict[str, ServiceEntry]
    admin_token: str  # bearer token of the admin API (services["admin"].url + /api/v1/...)
    webhooks: dict[str, str]
    tenant: TenantEntry
    users: list[UserEntry]
    rooms: list[RoomEntry]
    menus: list[str]
    subscriptions: list[str]
    subscriptions_by: str  # "renewal" or "sandbox" (created directly while renewal is not ready)

    def user(self, login_or_email: str) -> UserEntry:
        for user in self.users:
            if login_or_email in (user.login, user.email):
                return user
        raise KeyError(login_or_email)

    def write(self, path: Path) -> None:
        """Atomically, so a reader never sees half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False))
        os.replace(tmp, path)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        return cls.model_validate_json(path.read_text("utf-8"))
