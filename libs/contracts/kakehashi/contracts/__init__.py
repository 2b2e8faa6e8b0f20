"""Message envelope, message kinds and the normalized event model."""

from kakehashi.contracts.envelope import Message, deterministic_id, new_id, utcnow
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import (
    ALL_MESSAGES,
    CommandOp,
    CommandOutcome,
    CommandResult,
    GaroonHint,
    GraphHint,
    GraphLifecycle,
    ObservedEvent,
    ObservedGaroon,
    ObservedGraph,
    ResyncRequest,
    Side,
    SyncCommand,
    TeamsMeetingRequest,
)

__all__ = [
    "ALL_MESSAGES",
    "CommandOp",
    "CommandOutcome",
    "CommandResult",
    "GaroonHint",
    "GraphHint",
    "GraphLifecycle",
    "Message",
    "NormalizedEvent",
    "ObservedEvent",
    "ObservedGaroon",
    "ObservedGraph",
    "ResyncRequest",
    "Side",
    "SyncCommand",
    "TeamsMeetingRequest",
    "deterministic_id",
    "new_id",
    "utcnow",
]
