"""Driving a translator by hand: deliver, let the fake connectors answer, repeat until quiet."""

from __future__ import annotations

from kakehashi.contracts.messages import ObservedEvent, SyncCommand
from tests.translator.conftest import Rig


async def pump(rig: Rig, *observations: ObservedEvent) -> list[SyncCommand]:
    """Deliver observations, then commands -> connectors -> results and echoes -> translator,
    until nothing is left. Returns every command published. Asserts that an echo never makes
    a new write (a re-send of a write in flight, same message id, is allowed)."""
    sent: list[SyncCommand] = []
    for obs in observations:
        await rig.translator.on_observed(obs)
    for _ in range(100):
        batch = rig.commands()
        if not batch:
            return sent
        sent += batch
        for cmd in batch:
            answer = rig.sides.apply(cmd)
            if answer is None:
                continue
            result, echo = answer
            await rig.translator.on_result(result)
            if echo is not None:
                known = {c.message_id for c in [*rig.commands_seen, *rig.peek()]}
                await rig.translator.on_observed(echo)
                fresh = [c for c in rig.peek() if c.message_id not in known]
                assert not fresh, f"echo caused a write: {[(c.side, c.op) for c in fresh]}"
    raise AssertionError("no quiet point (ping-pong?)")
