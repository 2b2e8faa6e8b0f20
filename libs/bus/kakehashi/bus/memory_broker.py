"""An in-process stand-in for the broker: topic exchanges, queues, TTL and dead-lettering.

It interprets the same queue arguments RabbitMQ does (`x-message-ttl`,
`x-dead-letter-routing-key`, `x-delivery-limit`), so topology declared as data behaves the same.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field, replace

from kakehashi.bus.api import Unroutable
from kakehashi.bus.topology import QueueDecl


@dataclass(frozen=True)
class Envelope:
    """A message as it sits in a queue: bytes and headers, as on the wire."""

    routing_key: str
    body: bytes
    headers: dict[str, object] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    delivery_count: int = 0
    redelivered: bool = False


def topic_matches(pattern: str, routing_key: str) -> bool:
    """AMQP topic matching: `*` is exactly one word, `#` zero or more words."""
    return _match(pattern.split("."), routing_key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


class MemoryQueue:
    def __init__(self, broker: MemoryBroker, decl: QueueDecl) -> None:
        self.broker = broker
        self.name = decl.name
        self.arguments = dict(decl.arguments)
        self.items: deque[Envelope] = deque()
        self.consumers = 0
        self._available = asyncio.Event()
        self._timers: set[asyncio.TimerHandle] = set()

    def put(self, envelope: Envelope) -> None:
        ttl = self.arguments.get("x-message-ttl")
        if isinstance(ttl, int | float):
            # The loop's timer really waits the tier delay, as the broker's TTL would.
            loop = asyncio.get_running_loop()
            handle = loop.call_later(ttl / 1000, self._expire, envelope)
            self._timers.add(handle)
        self.items.append(envelope)
        self._available.set()

    async def get(self) -> Envelope:
        while not self.items:
            self._available.clear()
            await self._available.wait()
        envelope = self.items.popleft()
        return replace(envelope, delivery_count=envelope.delivery_count + 1)

    def requeue(self, envelope: Envelope) -> None:
        """An unacked delivery comes back (consumer gone, or nacked with requeue)."""
        limit = self.arguments.get("x-delivery-limit")
        if isinstance(limit, int) and envelope.delivery_count > limit:
            self._dead_letter(envelope)
            return
        self.items.appendleft(replace(envelope, redelivered=True))
        self._available.set()

    def _expire(self, envelope: Envelope) -> None:
        now = asyncio.get_running_loop().time()
        self._timers = {t for t in self._timers if t.when() > now}
        try:
            self.items.remove(envelope)
        except ValueError:
            return
        self._dead_letter(envelope)

    def _dead_letter(self, envelope: Envelope) -> None:
        target = self.arguments.get("x-dead-letter-routing-key")
        if isinstance(target, str) and target in self.broker.queues:
            self.broker.queues[target].put(replace(envelope, routing_key=target, delivery_count=0))

    def close(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()


class MemoryBroker:
    """Shared by any number of MemoryBus instances (e.g. all services of the sandbox)."""

    def __init__(self) -> None:
        self.queues: dict[str, MemoryQueue] = {}
        self.bindings: dict[str, list[tuple[str, str]]] = {}  # exchange -> [(pattern, queue)]

    def declare_exchange(self, name: str) -> None:
        self.bindings.setdefault(name, [])

    def declare_queue(self, decl: QueueDecl) -> MemoryQueue:
        queue = self.queues.get(decl.name)
        if queue is None:
            queue = self.queues[decl.name] = MemoryQueue(self, decl)
        return queue

    def bind(self, exchange: str, queue: str, pattern: str) -> None:
        bound = self.bindings.setdefault(exchange, [])
        if (pattern, queue) not in bound:
            bound.append((pattern, queue))

    def publish(self, exchange: str, envelope: Envelope) -> None:
        """Route like a topic exchange; "" is the default exchange (routing key = queue)."""
        if exchange == "":
            targets = [envelope.routing_key] if envelope.routing_key in self.queues else []
        else:
            targets = sorted(
                {
                    queue
                    for pattern, queue in self.bindings.get(exchange, [])
                    if topic_matches(pattern, envelope.routing_key) and queue in self.queues
                }
            )
        if not targets:
            raise Unroutable(f"no queue bound for {envelope.routing_key!r} on {exchange!r}")
        for name in targets:
            self.queues[name].put(envelope)

    def delete_queue(self, name: str) -> None:
        queue = self.queues.pop(name, None)
        if queue is not None:
            queue.close()
        for bound in self.bindings.values():
            bound[:] = [(p, q) for p, q in bound if q != name]

    def close(self) -> None:
        for queue in self.queues.values():
            queue.close()
