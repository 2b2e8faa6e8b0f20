"""In-memory records the simulator keeps: directory objects, events, subscriptions, switches."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any


def new_event_id() -> str:
    # Opaque, case-sensitive, with "-", "_" and a trailing "=" like Exchange's ids, so clients
    # that forget to URL-encode or that lowercase ids fail here too. Occurrence ids append
    # "_<yyyymmddThhmmssZ>"; the "=" keeps the master part from ever looking like that suffix.
    return "AAMkAGI" + secrets.token_urlsafe(45) + "AAA="


def new_change_key() -> str:
    return secrets.token_urlsafe(21)


@dataclass
class Tenant:
    id: str
    domain: str
    display_name: str = ""


@dataclass
class App:
    tenant_id: str
    client_id: str
    display_name: str = "Kakehashi"
    secret: str | None = None
    secret_expires: dt.datetime | None = None
    roles: list[str] = field(default_factory=list)
    consented: bool = True
    # PEM certificates whose keys may sign client assertions.
    certificates: list[str] = field(default_factory=list)
    service_principal_id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class User:
    tenant_id: str
    id: str
    user_principal_name: str
    mail: str
    display_name: str
    time_zone: str = "UTC"
    teams_enabled: bool = True

    def to_graph(self) -> dict[str, Any]:
        given, _, surname = self.display_name.partition(" ")
        return {
            "businessPhones": [],
            "displayName": self.display_name,
            "givenName": given or None,
            "jobTitle": None,
            "mail": self.mail,
            "mobilePhone": None,
            "officeLocation": None,
            "preferredLanguage": None,
            "surname": surname or None,
            "userPrincipalName": self.user_principal_name,
            "id": self.id,
        }


@dataclass
class Room:
    tenant_id: str
    id: str
    email: str
    display_name: str
    capacity: int = 10
    building: str | None = None
    floor_number: int | None = None
    auto_accept: bool = True

    def to_graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "emailAddress": self.email,
            "displayName": self.display_name,
            "nickname": self.display_name,
            "capacity": self.capacity,
            "building": self.building,
            "floorNumber": self.floor_number,
            "floorLabel": None,
            "label": None,
            "bookingType": "standard",
            "audioDeviceName": None,
            "videoDeviceName": None,
            "displayDeviceName": None,
            "isWheelChairAccessible": False,
            "tags": [],
            "address": None,
            "geoCoordinates": None,
            "phone": None,
        }


@dataclass
class Instance:
    """A modified occurrence (exception) of a series, keyed by its original start."""

    props: dict[str, Any]
    start: dt.datetime
    end: dt.datetime
    start_tz: str
    end_tz: str
    change_key: str
    modified: dt.datetime


@dataclass
class Event:
    id: str
    mailbox: str  # user id
    props: dict[str, Any]
    start: dt.datetime  # UTC
    end: dt.datetime
    start_tz: str
    end_tz: str
    ical_uid: str
    created: dt.datetime
    modified: dt.datetime
    change_key: str = field(default_factory=new_change_key)
    transaction_id: str | None = None
    is_organizer: bool = True
    ext: dict[str, str] = field(default_factory=dict)  # normalised property id -> value
    ext_ids: dict[str, str] = field(default_factory=dict)  # normalised id -> id as written
    exceptions: dict[str, Instance] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)
    # Meeting links: the organizer's item knows its copies, a copy knows its organizer's item.
    copies: dict[str, str] = field(default_factory=dict)  # attendee user id -> event id
    organizer_ref: tuple[str, str] | None = None  # (organizer user id, event id)

    @property
    def is_series(self) -> bool:
        return self.props.get("recurrence") is not None

    def touch(self, when: dt.datetime) -> None:
        self.change_key = new_change_key()
        self.modified = when


@dataclass
class Subscription:
    id: str
    tenant_id: str
    app_id: str
    resource: str
    mailbox: str  # user id the resource points at
    change_types: list[str]
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expiration: dt.datetime
    immutable_ids: bool
    creator_id: str
    latest_tls: str = "v1_2"


@dataclass
class Fault:
    """Injected failure for requests whose path matches `pattern` (a regular expression)."""

    id: str
    pattern: str
    method: str | None = None
    status: int | None = None  # 503, 504, 429 ...
    latency_ms: int = 0
    remaining: int | None = None  # None = until removed
    retry_after: str | None = None


@dataclass
class Switches:
    """Behaviour switches; defaults are the most likely real behaviour (see docs/simulators.md)."""

    # Throttling (Outlook: 4 concurrent, 10,000 requests / 10 min per app + mailbox).
    max_concurrency: int = 4
    concurrency_retry_after: str = "1"
    request_budget: int = 10000
    budget_window_seconds: float = 600.0
    latency_ms: int = 0  # artificial latency on every Graph call (makes overlap real)
    # Subscriptions.
    subscription_max_minutes: int = 10080  # 4230 = the limit before late 2024
    subscription_min_minutes: int = 45
    require_https_notification_url: bool = False  # real Graph: True; the sandbox ingress is HTTP
    validation_timeout_seconds: float = 10.0
    # Notifications.
    notification_delay_ms: int = 50
    notification_batch_window_ms: int = 50
    notification_retry_base_ms: int = 200
    notification_max_attempts: int = 5
    # After the last failed attempt, send `missed` to the subscription's lifecycle URL.
    missed_after_give_up: bool = True
    drop_notifications: int = 0  # drop the next N change notifications
    duplicate_notifications: int = 0  # send the next N change notifications twice
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    # Events.
    transaction_id_duplicate: str = "return_original"  # or "conflict"
    cancelled_copies: str = "keep"  # "keep" (isCancelled: true) or "remove"
    mutable_ids_change_on_update: bool = False  # non-ImmutableId requests get a new id on PATCH
    delta_thin_occurrences: bool = True
    delta_signal_deleted_occurrences: bool = False  # [S]: Graph does not report them
    default_page_size: int = 10
    honour_if_match: bool = True  # stale If-Match on PATCH/DELETE -> 412 [S]
    # Identity.
    token_lifetime_seconds: int = 3599
    missing_consent: str = "token_without_roles"  # or "error" (AADSTS65001)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def update(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            if not hasattr(self, key):
                raise KeyError(key)
            current = getattr(self, key)
            if isinstance(current, bool):
                value = bool(value)
            elif isinstance(current, int) and not isinstance(value, bool):
                value = int(value)
            elif isinstance(current, float):
                value = float(value)
            setattr(self, key, value)
