"""Client-side pacing per mailbox, matching Outlook's limits (per app x mailbox):
at most N requests in flight, a request budget per window, and a shared pause after a 429.

Time and sleeping are injected so tests run without waiting.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class Slots:
    """A semaphore that can take several permits at once (a batch holds one per inner request)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.in_use = 0
        self._cond = asyncio.Condition()

    async def acquire(self, n: int = 1) -> None:
        n = min(n, self.capacity)
        async with self._cond:
            await self._cond.wait_for(lambda: self.in_use + n <= self.capacity)
            self.in_use += n

    async def release(self, n: int = 1) -> None:
        n = min(n, self.capacity)
        async with self._cond:
            self.in_use -= n
            self._cond.notify_all()


class TokenBucket:
    """`capacity` requests per `window` seconds, refilled continuously."""

    def __init__(self, capacity: int, window: float, clock: Clock) -> None:
        self.capacity = float(capacity)
        self.rate = capacity / window
        self.tokens = float(capacity)
        self._clock = clock
        self._stamp = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.capacity, self.tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def take(self, n: int = 1) -> float:
        """Take n tokens if available and return 0, else return the seconds to wait first."""
        self._refill()
        if self.tokens >= n:
            self.tokens -= n
            return 0.0
        return (n - self.tokens) / self.rate


@dataclass
class _Mailbox:
    slots: Slots
    bucket: TokenBucket
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class MailboxLimiter:
    def __init__(
        self,
        *,
        max_concurrency: int,
        budget: tuple[int, float],
        sleep: Sleep,
        clock: Clock,
    ) -> None:
        self._max = max_concurrency
        self._budget = budget
        self._sleep = sleep
        self._clock = clock
        self._boxes: dict[str, _Mailbox] = {}

    def _box(self, key: str) -> _Mailbox:
        box = self._boxes.get(key)
        if box is None:
            box = _Mailbox(Slots(self._max), TokenBucket(*self._budget, clock=self._clock))
            self._boxes[key] = box
        return box

    def in_flight(self, key: str) -> int:
        return self._box(key).slots.in_use

    def pause(self, key: str, seconds: float) -> None:
        """After a 429 on one request, hold every request to that mailbox for Retry-After."""
        box = self._box(key)
        box.paused_until = max(box.paused_until, self._clock() + seconds)

    async def _wait_turn(self, box: _Mailbox, n: int) -> None:
        # The lock keeps waiters in order, so one mailbox's budget is spent first-come first-served.
        async with box.lock:
            while True:
                pause = box.paused_until - self._clock()
                if pause > 0:
                    await self._sleep(pause)
                    continue
                wait = box.bucket.take(n)
                if wait <= 0:
                    return
                await self._sleep(wait)

    @asynccontextmanager
    async def slot(self, counts: dict[str, int]) -> AsyncIterator[None]:
        """Wait for budget and concurrency on every mailbox in `counts` (mailbox -> requests)."""
        held: list[tuple[_Mailbox, int]] = []
        try:
            for key in sorted(counts):  # fixed order: two batches can never wait on each other
                box = self._box(key)
                await self._wait_turn(box, counts[key])
                await box.slots.acquire(counts[key])
                held.append((box, counts[key]))
            yield
        finally:
            for box, n in reversed(held):
                await box.slots.release(n)


def backoff_delay(attempt: int, *, base: float = 1.0, cap: float = 60.0) -> float:
    """Exponential back-off with full jitter, used when the server gave no Retry-After."""
    return random.uniform(0, min(cap, base * (2**attempt)))
