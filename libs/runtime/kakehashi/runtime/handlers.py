"""Handler helpers shared by services."""

from __future__ import annotations

import logging

from kakehashi.bus.api import Handler
from kakehashi.contracts import Message


def log_only(queue: str, log: logging.Logger) -> Handler:
    """A placeholder handler: records the message at debug level and acks it."""

    async def handle(message: Message) -> None:
        log.debug(
            "message handled",
            extra={"queue": queue, "message_id": message.message_id, "kind": message.KIND},
        )

    return handle
