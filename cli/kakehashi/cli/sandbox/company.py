"""The seeded company: who and what exists on both sides, as plain data.

Everything is deterministic (fixed ids and secrets) so that a restarted sandbox, the manifest,
the printed commands and the tests all agree without reading each other's output.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# Stable namespace for the sandbox's Microsoft 365 object ids (uuid5 of a name).
_NS = uuid.UUID("6b616b65-6861-7368-692d-73616e64626f")

FIRST_NAMES = (
    ("sato", "佐藤 花子", "Sato Hanako"),
    ("suzuki", "鈴木 太郎", "Suzuki Taro"),
    ("takahashi", "高橋 一郎", "Takahashi Ichiro"),
    ("tanaka", "田中 美咲", "Tanaka Misaki"),
)


def stable_id(name: str) -> str:
    return str(uuid.uuid5(_NS, name))


@dataclass(frozen=True)
class Person:
    """One employee: a Garoon user linked to one Microsoft 365 mailbox."""

    login: str
    garoon_name: str
    garoon_id: int
    password: str
    email: str
    display_name: str
    graph_id: str


@dataclass(frozen=True)
class Room:
    """A Garoon facility mapped to a room mailbox."""

    code: str
    name: str
    garoon_id: int
    email: str
    graph_id: str


@dataclass(frozen=True)
class Company:
    tenant_id: str = "sandbox"  # Kakehashi's tenant id (the X-Kakehashi-Tenant header)
    name: str = "Contoso 株式会社"
    domain: str = "contoso.example"
    graph_tenant_id: str = "0c0a1e5a-5a4d-4b0e-9c3e-6b616b656861"
    client_id: str = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    client_secret: str = "sandbox-client-secret"
    roles: tuple[str, ...] = (
        "Calendars.ReadWrite",
        "User.Read.All",
        "OnlineMeetings.ReadWrite.All",
        "Place.Read.All",
    )
    garoon_service_login: str = "kakehashi"
    garoon_service_password: str = "sandbox-service-pw"
    garoon_service_id: int = 100
    hint_secret: str = "sandbox-hint-secret"
    admin_token: str = "sandbox-admin-token"
    client_state: str = "sandbox-client-state"
    time_zone: str = "Asia/Tokyo"
    windows_time_zone: str = "Tokyo Standard Time"
    people: tuple[Person, ...] = ()
    rooms: tuple[Room, ...] = ()
    menus: tuple[str, ...] = ("会議", "来客", "外出", "休み")


def person(index: int, domain: str) -> Person:
    """The index-th employee; the first four have names, the rest are numbered (bench)."""
    if index < len(FIRST_NAMES):
        login, jp, en = FIRST_NAMES[index]
    else:
        login, jp, en = f"user{index + 1:04d}", f"社員 {index + 1}", f"User {index + 1}"
    email = f"{login}@{domain}"
    return Person(
        login=login,
        garoon_name=jp,
        garoon_id=index + 1,
        password=f"{login}-pw",
        email=email,
        display_name=en,
        graph_id=stable_id(email),
    )


def default_company(users: int = 4) -> Company:
    base = Company()
    people = tuple(person(i, base.domain) for i in range(users))
    rooms = tuple(
        Room(code, name, gid, f"{code}@{base.domain}", stable_id(f"{code}@{base.domain}"))
        for gid, code, name in ((1, "room-a", "会議室A"), (2, "room-b", "会議室B"))
    )
    return Company(people=people, rooms=rooms)
