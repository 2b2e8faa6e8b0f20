"""Confirmed publishing with a deadline, so a webhook answers in time or asks for a retry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from kakehashi.bus.api import Bus
from kakehashi.contracts import Message

log = logging.getLogger("kakehashi.ingress")


class NotQueued(Exception):
    """The bus did not confirm every message in time; the caller answers 503."""


async def publish_all(bus: Bus, messages: Sequence[Message], *, deadline: float) -> None:
    """Publish every message with a broker confirm within `deadline` seconds, else NotQueued.

    Some messages may have been confirmed when this fails. That is safe: the sender retries the
    whole request, the ids are deterministic (Graph) or the hints idempotent (Garoon), and
    consumers deduplicate by message id.
    """
    if not messages:
        return
    if not bus.is_ready:
        raise NotQueued("message broker not connected")
    try:
        async with asyncio.timeout(deadline):
            # A TaskGroup cancels the remaining publishes as soon as one fails.
            async with asyncio.TaskGroup() as group:
                for message in messages:
                    group.create_task(bus.publish(message))
    except TimeoutError as exc:
        raise NotQueued(f"no broker confirm within {deadline:.1f}s") from exc
    except ExceptionGroup as failed:
        # Any failure means "not (all) queued": Unroutable, PublishFailed, a lost connection.
        first = failed.exceptions[0]
        log.warning("publish failed", extra={"error": type(first).__name__, "count": len(messages)})
        raise NotQueued(f"{type(first).__name__}: {first}") from None
