"""Collecting what a service publishes, from private queues, as its consumers would see it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from kakehashi.bus import QueueSpec
from kakehashi.bus.api import Bus
from kakehashi.contracts import Message
from kakehashi.contracts.messages import CommandResult, SyncCommand
from tests.support.waiting import wait_until

M = TypeVar("M", bound=Message)


async def collect(
    bus: Bus, specs: list[QueueSpec], name: str, keys: tuple[str, ...], into: list[Any]
) -> None:
    """Append every message routed by `keys` to `into` (the queue's spec goes to `specs`)."""

    async def handler(message: Message) -> None:
        into.append(message)

    spec = QueueSpec(name=name, bindings=keys)
    specs.append(spec)
    await bus.consume(spec, handler)


async def result_of(
    results: Sequence[CommandResult], cmd: SyncCommand, timeout: float = 20.0
) -> CommandResult:
    """The result published for `cmd`, once it is there."""
    found: CommandResult = await wait_until(
        lambda: next((r for r in results if r.command_id == cmd.message_id), None),
        timeout=timeout,
        message=f"result of {cmd.op.value}",
    )
    return found


async def observations_of(observed: Sequence[M], trigger: Message, count: int = 1) -> list[M]:
    """At least `count` observations caused by `trigger`, once they are there."""

    def probe() -> list[M] | None:
        got = [o for o in observed if o.causation_id == trigger.message_id]
        return got if len(got) >= count else None

    found: list[M] = await wait_until(probe, message="observations")
    return found
