"""The translator as a Service: its queues and handlers, wired by the runtime host."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from kakehashi.bus.api import Handler, QueueSpec
from kakehashi.runtime import Service, ServiceContext, queue_spec
from kakehashi.translator.handlers import make_handlers

# More attempts than the default: a lost mapping race or a Teams request waiting for its
# event comes back through the retry tiers, and should not reach the dead-letter queue
# while the wait is still reasonable (about five minutes with the default tiers).
MAX_ATTEMPTS = 12


class TranslatorService(Service):
    name: ClassVar[str] = "translator"

    def consumers(self, ctx: ServiceContext) -> list[tuple[QueueSpec, Handler]]:
        return [
            (dataclasses.replace(queue_spec(queue), max_attempts=MAX_ATTEMPTS), handler)
            for queue, handler in make_handlers(ctx).items()
        ]
