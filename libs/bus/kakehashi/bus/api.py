"""The bus interface every service codes against; RabbitMQ and in-memory implement it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from kakehashi.contracts import Message

Handler = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class QueueSpec:
    """A work queue as data: its bindings, retry tiers and dead-letter behaviour."""

    name: str
    bindings: tuple[str, ...]
    prefetch: int = 16
    max_attempts: int = 5
    # Seconds a failed message waits before its next attempt; attempt N uses tier min(N-1, last).
    retry_delays: tuple[float, ...] = (1.0, 5.0, 30.0)
    arguments: dict[str, object] = field(default_factory=dict)

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.name}.dlq"

    def retry_queue(self, tier: int) -> str:
        return f"{self.name}.retry.{tier}"


class Retry(Exception):
    """Raised by a handler to ask for a later attempt (counts against max_attempts)."""

    def __init__(self, reason: str, *, delay: float | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class Poison(Exception):
    """Raised by a handler when retrying can never help: straight to the dead-letter queue."""


class Unroutable(Exception):
    """A mandatory publish that no queue is bound to receive."""


class PublishFailed(Exception):
    """The broker did not confirm a publish (nack, or no connection before the deadline).

    The message may or may not have reached a queue; publishing it again is safe because
    consumers deduplicate by `message_id`.
    """


@dataclass(frozen=True)
class DeadLetterSample:
    """One parked message as an administrator needs to see it (body left out)."""

    message_id: str | None
    kind: str  # the message kind, e.g. "command"
    routing_key: str  # the key it was first published with
    tenant_id: str | None
    error: str  # what the last failed attempt raised, as the bus recorded it
    attempts: int
    dead_lettered_at: str | None  # ISO time, when the bus recorded it


@dataclass(frozen=True)
class DeadLetterReport:
    """What a work queue's dead-letter queue holds: the count and the first few messages."""

    queue: str
    count: int
    sample: tuple[DeadLetterSample, ...] = ()


class ProcessedLog(Protocol):
    """Remembers which message ids a consumer has finished, so redelivery changes nothing."""

    async def already_processed(self, consumer: str, message_id: str) -> bool: ...

    async def mark_processed(self, consumer: str, message_id: str) -> None: ...


class Bus(Protocol):
    @property
    def is_ready(self) -> bool: ...

    async def connect(self) -> None: ...

    async def declare(self, specs: list[QueueSpec]) -> None: ...

    async def publish(self, message: Message, *, routing_key: str | None = None) -> None:
        """Publish and wait for the broker's confirm; raise Unroutable if nobody is bound."""

    async def consume(self, spec: QueueSpec, handler: Handler) -> None: ...

    async def list_dead_letters(self, spec: QueueSpec, *, limit: int = 10) -> DeadLetterReport:
        """Count `spec`'s dead letters and describe up to `limit`; nothing is removed."""

    async def replay_dead_letters(self, spec: QueueSpec, *, limit: int | None = None) -> int:
        """Move up to `limit` (None: all present now) dead letters back onto the work queue,
        attempts reset, message id kept; each is acked only after its copy is confirmed.
        Returns how many were moved."""

    async def stop_consuming(self) -> None:
        """Stop taking new messages and wait for the in-flight ones to finish (drain)."""

    async def close(self) -> None: ...
