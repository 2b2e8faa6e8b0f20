"""Documents of sync state shared by the store, the engine and the services.

The store persists these as they are (secret fields encrypted); the engine decides over
`Mapping` without any I/O.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from kakehashi.contracts.envelope import new_id, utcnow
from kakehashi.contracts.event import NormalizedEvent


class ConflictPolicy(StrEnum):
    LATER_WINS = "later-wins"
    GAROON_WINS = "garoon-wins"
    GRAPH_WINS = "graph-wins"


class SyncPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conflict: ConflictPolicy = ConflictPolicy.LATER_WINS
    repeat_window_days: int = Field(default=365, ge=7, le=3650)
    backfill_from: date | None = None
    mass_delete_threshold: int = Field(
        default=5, ge=1, description="Deletes in one sweep above which nothing is deleted"
    )


class GraphCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str
    client_id: str
    client_secret: SecretStr | None = None
    certificate_pem: SecretStr | None = None
    certificate_thumbprint: str | None = None
    secret_expires_at: datetime | None = None
    authority_host: str = "https://login.microsoftonline.com"
    graph_base_url: str = "https://graph.microsoft.com"


class GaroonCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="e.g. https://example.cybozu.com/g")
    login: str
    password: SecretStr
    basic_user: str | None = None
    basic_password: SecretStr | None = None
    proxy_url: str | None = None
    ca_file: str | None = None


class Tenant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    name: str = ""
    graph: GraphCredentials | None = None
    garoon: GaroonCredentials | None = None
    policy: SyncPolicy = Field(default_factory=SyncPolicy)
    facility_rooms: dict[str, str] = Field(
        default_factory=dict, description="Garoon facility code -> room mailbox address"
    )
    menu_categories: dict[str, str] = Field(
        default_factory=dict, description="Garoon schedule menu -> Outlook category"
    )
    hint_secret: SecretStr | None = Field(
        default=None, description="Shared secret Garoon's proxy adds to browser hints"
    )
    created_at: datetime = Field(default_factory=utcnow)


class LinkStatus(StrEnum):
    LINKED = "linked"
    PENDING = "pending"
    FAILED = "failed"


class UserLink(BaseModel):
    """One Garoon user linked to one Microsoft 365 mailbox."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    tenant_id: str
    garoon_login: str
    garoon_user_id: str | None = None
    m365_address: str
    graph_user_id: str | None = None
    enabled: bool = True
    status: LinkStatus = LinkStatus.PENDING
    reason: str = ""
    linked_at: datetime = Field(default_factory=utcnow)
    last_sync_at: datetime | None = None


class MappingState(StrEnum):
    PENDING_CREATE = "pending-create"
    ACTIVE = "active"
    TOMBSTONED = "tombstoned"


class SideRecord(BaseModel):
    """What we last synced on one side: its id, version and content hash."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    version: str | None = None
    content_hash: str | None = None
    modified_at: datetime | None = None
    snapshot: NormalizedEvent | None = Field(
        default=None, description="What we believe this side holds now (per-side merge base)"
    )
    pending_command_id: str | None = Field(
        default=None, description="A write to this side in flight; its result is awaited"
    )
    pending_fields: list[str] = Field(default_factory=list)
    pending_event: NormalizedEvent | None = None
    pending_delete: bool = False
    pending_op: str | None = None
    pending_since: datetime | None = None
    changed_at: dict[str, datetime] = Field(
        default_factory=dict,
        description=(
            "Per field group: the modification time of the observation that last showed a"
            " change of it on this side (later-wins conflicts compare these)"
        ),
    )
    pending_invitees: list[str] = Field(
        default_factory=list,
        description="Outside invitees of a Teams meeting write in flight (re-sent with it)",
    )


class Mapping(BaseModel):
    """One synced event (or series) pair: the vdirsyncer-style three-way record."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    tenant_id: str
    user_link_id: str
    garoon_id: str | None = None
    graph_ical_uid: str | None = None
    garoon: SideRecord = Field(default_factory=SideRecord)
    graph: SideRecord = Field(default_factory=SideRecord)
    base: NormalizedEvent | None = Field(default=None, description="Merge base: last synced")
    state: MappingState = MappingState.PENDING_CREATE
    revision: int = 0
    series_mapping_id: str | None = None
    occurrence_date: date | None = Field(
        default=None, description="For an occurrence mapped on its own: its original date"
    )
    idempotency_key: str | None = None
    tombstoned_at: datetime | None = None
    last_rule: str = ""
    updated_at: datetime = Field(default_factory=utcnow)


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="Graph subscription id")
    tenant_id: str
    user_link_id: str
    resource: str
    client_state: SecretStr
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class AuditEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=new_id)
    tenant_id: str
    mapping_id: str | None = None
    user_link_id: str | None = None
    side: str | None = None
    action: str
    rule: str
    detail: str = ""
    at: datetime = Field(default_factory=utcnow)


class HeldDeleteStatus(StrEnum):
    PENDING = "pending"  # withheld by the mass-delete guard, waiting for an administrator
    CONFIRMED = "confirmed"  # the administrator agreed; the next sweep propagates them
    APPLIED = "applied"  # a sweep has propagated the confirmed deletions
    REJECTED = "rejected"  # never propagated; the mappings were tombstoned


class HeldDelete(BaseModel):
    """Deletions the mass-delete guard withheld for one user on one side: the batch an
    administrator confirms or rejects. One document per (user link, side), reused by the
    next batch once this one is decided; the audit trail keeps the decisions."""

    model_config = ConfigDict(extra="forbid")

    id: str
    tenant_id: str
    user_link_id: str
    side: str = Field(description="The side whose copies vanished: garoon or graph")
    mapping_ids: list[str] = Field(default_factory=list)
    reason: str = ""
    status: HeldDeleteStatus = HeldDeleteStatus.PENDING
    first_seen: datetime = Field(default_factory=utcnow)
    last_seen: datetime = Field(default_factory=utcnow)
    decided_at: datetime | None = None
    decided_by: str | None = None
    applied_at: datetime | None = None
    revision: int = 0
