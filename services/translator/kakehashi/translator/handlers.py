"""Message handlers of the translator, one per queue."""

from __future__ import annotations

from kakehashi.bus.api import Handler
from kakehashi.contracts import routing
from kakehashi.runtime import ServiceContext
from kakehashi.translator.translator import Translator


def make_handlers(ctx: ServiceContext) -> dict[str, Handler]:
    """Queue name (from kakehashi.contracts.routing) -> handler."""
    translator = Translator(ctx.store, ctx.bus, ctx.clock)
    return {
        routing.TRANSLATOR_OBSERVED: translator.on_observed_queue,
        routing.TRANSLATOR_RESULTS: translator.on_results_queue,
    }
