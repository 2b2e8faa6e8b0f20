"""The main paths over the real RabbitMQ broker (private exchange and queues per test)."""

from __future__ import annotations

import pytest

from kakehashi.bus import MemoryProcessedLog, RabbitBus
from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.graph_connector.support import graph_body, harness, next_monday, normalized
from tests.support.rabbitmq import cleanup

pytestmark = pytest.mark.rabbitmq


async def test_hint_command_and_resync_over_rabbitmq(amqp_url: str, unique_name: str) -> None:
    exchange = f"{unique_name}.x"
    bus = RabbitBus(amqp_url, exchange=exchange, processed=MemoryProcessedLog())
    async with harness(bus=bus, prefix=f"{unique_name}.") as h:
        try:
            made = h.sim.person_create(
                "sato@contoso.example", graph_body("Over AMQP", next_monday())
            )
            hint = h.hint(made["id"])
            await h.send(hint)
            [obs] = await h.observations_of(hint)
            assert obs.event is not None
            assert obs.event.title == "Over AMQP"
            # The window's first round is a full snapshot: it observes the event anew.
            full = h.resync()
            await h.send(full)
            [seen] = await h.observations_of(full)
            assert seen.source_id == made["id"]

            cmd = h.command(CommandOp.CREATE, event=normalized("Created via AMQP", next_monday()))
            await h.send(cmd)
            result = await h.result_of(cmd)
            assert result.outcome == CommandOutcome.OK
            assert len(h.mailbox()) == 2
            await h.send(cmd)  # a duplicate delivery of the same message changes nothing
            again = h.resync()
            await h.send(again)
            # An incremental round: only what changed since (the hinted event did not).
            [obs] = await h.observations_of(again)
            assert obs.source_id == result.target_id
            assert obs.version == result.new_version
            assert len(h.mailbox()) == 2
            assert len([r for r in h.results if r.command_id == cmd.message_id]) == 1
        finally:
            await cleanup(amqp_url, h.specs, exchange)
