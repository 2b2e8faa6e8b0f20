"""Outlook throttling per app + mailbox: in-flight concurrency and a request budget per window."""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from .errors import GraphError
from .model import Switches


@dataclass
class ThrottleStats:
    max_concurrency: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    throttled: int = 0


class Throttle:
    def __init__(self, switches: Switches) -> None:
        self.switches = switches
        self.in_flight: dict[tuple[str, str], int] = defaultdict(int)
        self.history: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.stats = ThrottleStats()

    def reset(self) -> None:
        self.in_flight.clear()
        self.history.clear()
        self.stats = ThrottleStats()

    def enter(self, app_id: str, mailbox: str) -> None:
        """Admit one request or raise 429. Throttled calls still count against the budget."""
        key = (app_id, mailbox)
        now = time.monotonic()
        hist = self.history[key]
        window = self.switches.budget_window_seconds
        while hist and hist[0] <= now - window:
            hist.popleft()
        hist.append(now)
        if len(hist) > self.switches.request_budget:
            self.stats.throttled += 1
            wait = max(1, math.ceil(hist[0] + window - now))
            raise GraphError(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxRequests limit.",
                headers={"Retry-After": str(wait)},
            )
        if self.in_flight[key] >= self.switches.max_concurrency:
            self.stats.throttled += 1
            raise GraphError(
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
                headers={"Retry-After": self.switches.concurrency_retry_after},
            )
        self.in_flight[key] += 1
        current = self.in_flight[key]
        if current > self.stats.max_concurrency[mailbox]:
            self.stats.max_concurrency[mailbox] = current

    def leave(self, app_id: str, mailbox: str) -> None:
        key = (app_id, mailbox)
        self.in_flight[key] = max(0, self.in_flight[key] - 1)
