"""The bench's load: changes made "as a person" on both sides, each watched until it shows on
the other side.

A change is *accepted* when the simulator's person action returns (the API took it) and
*visible* when the other simulator holds the result (a new subject, or the subject gone after a
delete). Visibility is read from the simulators' Python state every POLL seconds, which costs no
API call and so leaves the request logs to Kakehashi alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from kakehashi.cli.sandbox.manifest import Manifest, UserEntry
from kakehashi.garoon_sim import GaroonSimulator
from kakehashi.graph_sim import GraphSimulator

POLL = 0.02
OTHER = {"garoon": "graph", "graph": "garoon"}


@dataclass
class Mix:
    create: float = 0.5
    update: float = 0.3
    delete: float = 0.2
    garoon_share: float = 0.5  # share of changes made on the Garoon side

    @classmethod
    def parse(cls, text: str, garoon_share: float = 0.5) -> Mix:
        """`create=0.5,update=0.3,delete=0.2`."""
        parts = dict(item.split("=", 1) for item in text.split(",") if item.strip())
        mix = cls(**{k.strip(): float(v) for k, v in parts.items()}, garoon_share=garoon_share)
        if min(mix.create, mix.update, mix.delete) < 0 or mix.create <= 0:
            raise ValueError("the mix needs create > 0 and no negative share")
        return mix


@dataclass
class Tracked:
    """One bench event, with its id on each side once known."""

    user: UserEntry
    subject: str
    garoon_id: str | None = None
    graph_id: str | None = None
    busy: bool = True  # a change to it is in flight
    gone: bool = False


@dataclass
class Change:
    kind: str  # create / update / delete
    origin: str  # garoon / graph: where the person made it
    item: Tracked
    subject: str  # what must appear (create/update) or vanish (delete) on the other side
    accepted_at: float | None = None
    seen_at: float | None = None
    error: str | None = None

    @property
    def latency(self) -> float | None:
        if self.accepted_at is None or self.seen_at is None:
            return None
        return self.seen_at - self.accepted_at


@dataclass
class LoadResult:
    changes: list[Change] = field(default_factory=list)
    started: float = 0.0
    generation_ended: float = 0.0
    ended: float = 0.0


class Load:
    def __init__(
        self,
        m: Manifest,
        http: aiohttp.ClientSession,
        garoon: GaroonSimulator,
        graph: GraphSimulator,
        *,
        rate: float,
        duration: float,
        mix: Mix,
        seed: int = 7,
    ) -> None:
        self.m, self.http, self.garoon, self.graph = m, http, garoon, graph
        self.rate, self.duration, self.mix = rate, duration, mix
        self.random = random.Random(seed)
        self.result = LoadResult()
        self.items: list[Tracked] = []
        self._numbers = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(64)
        self._settled = asyncio.Event()
        self._zone = ZoneInfo(m.tenant.time_zone)

    # ---------------------------------------------------------------- generation
    async def run(self, settle: float) -> LoadResult:
        watcher = asyncio.create_task(self._watch())
        self.result.started = time.monotonic()
        interval = 1.0 / self.rate
        n = 0
        while time.monotonic() - self.result.started < self.duration:
            n += 1
            self._spawn(self._one())
            # Paced against the schedule, not the previous change, so slow calls don't lower
            # the offered rate.
            delay = self.result.started + n * interval - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        self.result.generation_ended = time.monotonic()
        if self._tasks:
            await asyncio.wait(self._tasks)
        # The watcher sets `settled` once nothing is outstanding; give up after `settle` s.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._settled.wait(), settle)
        watcher.cancel()
        self.result.ended = time.monotonic()
        return self.result

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _outstanding(self) -> list[Change]:
        return [
            c
            for c in self.result.changes
            if c.accepted_at is not None and c.seen_at is None and c.error is None
        ]

    async def _one(self) -> None:
        origin = "garoon" if self.random.random() < self.mix.garoon_share else "graph"
        roll = self.random.random() * (self.mix.create + self.mix.update + self.mix.delete)
        ready = [i for i in self.items if not i.busy and not i.gone and i.garoon_id and i.graph_id]
        if roll < self.mix.create or not ready:
            item = Tracked(self.random.choice(self.m.users), self._subject())
            self.items.append(item)
            change = Change("create", origin, item, item.subject)
        else:
            item = self.random.choice(ready)
            item.busy = True
            if roll < self.mix.create + self.mix.update:
                change = Change("update", origin, item, self._subject())
            else:
                change = Change("delete", origin, item, item.subject)
        self.result.changes.append(change)
        async with self._slots:
            try:
                await self._act(change)
                change.accepted_at = time.monotonic()
            except Exception as exc:  # counted as an error, the run goes on
                change.error = f"{type(exc).__name__}: {exc}"[:300]
                item.busy = False

    def _subject(self) -> str:
        return f"bench {next(self._numbers):06d}"

    async def _act(self, c: Change) -> None:
        user, item = c.item.user, c.item
        if c.origin == "garoon":
            base = self.m.garoon.control_url + f"/person/{user.login}"
            if c.kind == "create":
                item.garoon_id = str(
                    (await self._post(f"{base}/create", self._garoon_body(c)))["id"]
                )
            elif c.kind == "update":
                body = {
                    "eventId": item.garoon_id,
                    "range": "ALL",
                    "changes": {"subject": c.subject},
                }
                await self._post(f"{base}/edit", body)
            else:
                await self._post(f"{base}/delete", {"eventId": item.garoon_id, "range": "ALL"})
        else:
            base = self.m.graph.control_url + f"/people/{user.email}/events"
            if c.kind == "create":
                item.graph_id = str((await self._post(base, self._graph_body(c)))["id"])
            elif c.kind == "update":
                await self._send("PATCH", f"{base}/{item.graph_id}", {"subject": c.subject})
            else:
                await self._send("DELETE", f"{base}/{item.graph_id}", None)

    async def _post(self, url: str, body: Any) -> Any:
        return await self._send("POST", url, body)

    async def _send(self, method: str, url: str, body: Any) -> Any:
        async with self.http.request(method, url, json=body) as resp:
            text = await resp.text()
            if resp.status >= 300:
                raise RuntimeError(f"{method} {url}: {resp.status} {text[:200]}")
            return await resp.json(content_type=None) if text else None

    def _slot(self) -> tuple[datetime, datetime]:
        day = datetime.now(self._zone).date() + timedelta(days=self.random.randint(1, 28))
        start = datetime(
            day.year, day.month, day.day, self.random.randint(8, 18), tzinfo=self._zone
        )
        return start, start + timedelta(minutes=30)

    def _garoon_body(self, c: Change) -> dict[str, Any]:
        start, end = self._slot()
        tz = self.m.tenant.time_zone
        return {
            "eventType": "REGULAR",
            "subject": c.subject,
            "start": {"dateTime": start.isoformat(), "timeZone": tz},
            "end": {"dateTime": end.isoformat(), "timeZone": tz},
            "attendees": [{"type": "USER", "code": c.item.user.login}],
        }

    def _graph_body(self, c: Change) -> dict[str, Any]:
        start, end = self._slot()
        fmt = "%Y-%m-%dT%H:%M:%S"
        return {
            "subject": c.subject,
            "start": {"dateTime": start.strftime(fmt), "timeZone": "Tokyo Standard Time"},
            "end": {"dateTime": end.strftime(fmt), "timeZone": "Tokyo Standard Time"},
        }

    # ---------------------------------------------------------------- observation
    async def _watch(self) -> None:
        while True:
            waiting = self._outstanding()
            if waiting:
                self._observe(waiting)
            elif self.result.generation_ended and not self._tasks:
                self._settled.set()
            await asyncio.sleep(POLL)

    def _observe(self, waiting: list[Change]) -> None:
        now = time.monotonic()
        garoon_view: dict[str, str] | None = None
        graph_views: dict[str, dict[str, str]] = {}
        for c in waiting:
            target = OTHER[c.origin]
            if target == "garoon":
                if garoon_view is None:
                    garoon_view = {ev.subject: str(ev.id) for ev in self.garoon.events.values()}
                view = garoon_view
            else:
                email = c.item.user.email
                if email not in graph_views:
                    graph_views[email] = self.graph.mailbox_subjects(email)
                view = graph_views[email]
            if c.kind == "delete":
                if c.subject not in view:
                    c.seen_at, c.item.gone, c.item.busy = now, True, False
            elif c.subject in view:
                c.seen_at, c.item.busy = now, False
                c.item.subject = c.subject
                if target == "garoon":
                    c.item.garoon_id = view[c.subject]
                else:
                    c.item.graph_id = view[c.subject]
