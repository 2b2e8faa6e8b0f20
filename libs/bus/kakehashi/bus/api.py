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

    async def stop_consuming(self) -> None:
        """Stop taking new messages and wait for the in-flight ones to finish (drain)."""

    async def close(self) -> None: ...
