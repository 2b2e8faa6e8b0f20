"""Every message kind of the flow (see docs/architecture.md).

hint.*      "look at event X of user U" - never trusted as data
lifecycle.* Graph subscription lifecycle events
observed.*  a normalized snapshot of one event as the source API returned it
command.*   a write the translator asks a connector to make
result.*    the outcome of a command, with the new source version
request.*   work asked of a connector that is not a single event (resync, sweep, Teams meeting)
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from kakehashi.contracts.envelope import Message
from kakehashi.contracts.event import NormalizedEvent, Person


class Side(StrEnum):
    GAROON = "garoon"
    GRAPH = "graph"


# ------------------------------------------------------------------ hints
class GraphHint(Message):
    """A Graph change notification, reduced to what it says: which event of which mailbox."""

    KIND: ClassVar[str] = "hint.graph"
    subscription_id: str
    user_id: str = Field(description="Graph user id or userPrincipalName of the mailbox")
    event_id: str
    change_type: Literal["created", "updated", "deleted"]
    etag: str | None = None


class GaroonHint(Message):
    """A Garoon change hint: from the browser customization (via Garoon's proxy) or a sweep."""

    KIND: ClassVar[str] = "hint.garoon"
    garoon_user: str = Field(description="Garoon login name (code) or id of the acting user")
    event_id: str
    action: Literal["create", "edit", "delete", "attend", "leave", "sweep", "teams_meeting"]
    range: Literal["THIS_ONLY", "ON_AND_AFTER", "ALL"] | None = None
    origin: Literal["browser", "sweep"] = "browser"
    invitees: list[str] = Field(default_factory=list, description="Outside e-mail invitees")


class GraphLifecycle(Message):
    KIND: ClassVar[str] = "lifecycle.graph"
    subscription_id: str
    lifecycle_event: Literal["reauthorizationRequired", "subscriptionRemoved", "missed"]


# ------------------------------------------------------------------ observations
class ObservedEvent(Message):
    """One event as a source API returned it. `deleted` means the source no longer has it."""

    KIND: ClassVar[str] = "observed"
    side: Side
    user_link_id: str
    source_id: str = Field(description="Garoon event id, or Graph event id")
    ical_uid: str | None = None
    version: str | None = Field(
        default=None, description="Garoon version/updatedAt; Graph changeKey"
    )
    modified_at: str | None = None
    deleted: bool = False
    event: NormalizedEvent | None = None
    series_id: str | None = Field(
        default=None,
        description=(
            "For an occurrence edited on its own: the id, on this side, of the series it belongs"
            " to (Graph: the master of an exception; Garoon: the series a 'this' edit split it"
            " off). The engine maps it as a child of that series' mapping (decide(series=))."
        ),
    )
    is_organizer_copy: bool = True
    kakehashi_tag: str | None = Field(
        default=None, description="Our ownership marker, when the source carries one"
    )

    @property
    def routing_key(self) -> str:
        return f"observed.{self.side.value}"


class ObservedGaroon(ObservedEvent):
    KIND: ClassVar[str] = "observed.garoon"


class ObservedGraph(ObservedEvent):
    KIND: ClassVar[str] = "observed.graph"


# ------------------------------------------------------------------ commands and results
class CommandOp(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    TEAMS_MEETING = "teams_meeting"
    # Answer a meeting for attendees in their own mailboxes (Graph): never pending, as it
    # writes no copy we hold; the organizer's copy shows the answer as an ordinary change.
    RESPOND = "respond"


class SyncCommand(Message):
    """Ask a connector to write. `idempotency_key` makes a retried create find the first copy."""

    KIND: ClassVar[str] = "command"
    side: Side
    op: CommandOp
    user_link_id: str
    mapping_id: str
    idempotency_key: str
    target_id: str | None = Field(default=None, description="Event id on the target side")
    base_version: str | None = None
    mapping_revision: int = 0
    event: NormalizedEvent | None = None
    reason: str = ""
    invitees: list[str] = Field(default_factory=list)
    fields: list[str] = Field(
        default_factory=list,
        description="For update: the normalized fields to write; others stay as they are",
    )
    notify_attendees: bool = Field(
        default=False,
        description="True when this write will make the server mail attendees (deliberate)",
    )
    responses: list[Person] = Field(
        default_factory=list,
        description="For respond: the attendees to answer for, with their answer and comment",
    )

    @property
    def routing_key(self) -> str:
        return f"command.{self.side.value}"


class CommandOutcome(StrEnum):
    OK = "ok"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class CommandResult(Message):
    KIND: ClassVar[str] = "result"
    side: Side
    op: CommandOp
    user_link_id: str
    mapping_id: str
    command_id: str
    outcome: CommandOutcome
    target_id: str | None = None
    ical_uid: str | None = None
    new_version: str | None = None
    event: NormalizedEvent | None = Field(
        default=None, description="What the target now holds, as read back after the write"
    )
    join_url: str | None = None
    error: str | None = None

    @property
    def routing_key(self) -> str:
        return f"result.{self.side.value}"


# ------------------------------------------------------------------ requests
class ResyncRequest(Message):
    """Re-read a user's whole window on one side (Graph delta, Garoon sweep)."""

    KIND: ClassVar[str] = "request.resync"
    side: Side
    user_link_id: str
    reason: str = ""

    @property
    def routing_key(self) -> str:
        return f"request.resync.{self.side.value}"


class TeamsMeetingRequest(Message):
    """A user pressed "Create Teams meeting" on a Garoon event (read and confirmed by the
    Garoon connector). The translator turns it into a TEAMS_MEETING command for Graph and
    writes the join URL back into the Garoon memo when the result arrives."""

    KIND: ClassVar[str] = "request.teams"
    user_link_id: str
    garoon_event_id: str
    invitees: list[str] = Field(default_factory=list, description="Outside e-mail invitees")


class AuditNote(BaseModel):
    model_config = ConfigDict(frozen=True)
    rule: str
    detail: str = ""


ALL_MESSAGES: tuple[type[Message], ...] = (
    GraphHint,
    GaroonHint,
    GraphLifecycle,
    ObservedGaroon,
    ObservedGraph,
    SyncCommand,
    CommandResult,
    ResyncRequest,
    TeamsMeetingRequest,
)
