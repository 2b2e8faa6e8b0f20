"""The main paths over the real RabbitMQ broker (private exchange and queues per test)."""

from __future__ import annotations

import pytest

from kakehashi.bus import MemoryProcessedLog, RabbitBus
from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.garoon_connector.support import harness, normalized, rest_event, soon
from tests.support.rabbitmq import cleanup

pytestmark = pytest.mark.rabbitmq


async def test_hint_command_and_resync_over_rabbitmq(amqp_url: str, unique_name: str) -> None:
    exchange = f"{unique_name}.x"
    bus = RabbitBus(amqp_url, exchange=exchange, processed=MemoryProcessedLog())
    async with harness(bus=bus, prefix=f"{unique_name}.") as h:
        try:
            made = h.person_create(rest_event("Over AMQP", soon()))
            hint = h.hint(made)
            await h.send(hint)
            [obs] = await h.observations_of(hint)
            assert obs.event is not None
            assert obs.event.title == "Over AMQP"

            cmd = h.command(CommandOp.CREATE, event=normalized("Created via AMQP", soon()))
            await h.send(cmd)
            result = await h.result_of(cmd)
            assert result.outcome == CommandOutcome.OK
            assert result.new_version
            await h.send(cmd)  # a duplicate delivery of the same message changes nothing
            again = h.resync()
            await h.send(again)
            got = await h.observations_of(again, count=2)
            assert {o.source_id for o in got} == {made, result.target_id}
            assert len(h.events_titled("Created via AMQP")) == 1
            assert len([r for r in h.results if r.command_id == cmd.message_id]) == 1
        finally:
            await cleanup(amqp_url, h.specs, exchange)
