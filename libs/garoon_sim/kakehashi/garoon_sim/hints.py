"""Browser hints: what our customization forwards through Garoon's proxy after a JS event.

Only "as a person" actions call `emit`; REST and SOAP writes never do, as on real Garoon.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    from .simulator import GaroonSimulator

# Lowest package version raising each JS event (fact sheet §4.2). Cloud has them all.
_MIN_VERSION = {
    "schedule.event.create.submit.success": (5, 9),
    "schedule.event.quick.create.submit.success": (5, 9),
    "schedule.event.edit.submit.success": (5, 9),
    "schedule.event.quick.edit.submit.success": (5, 9),
    "schedule.event.delete.submit.success": (5, 9),
    "schedule.event.attend.submit.success": (5, 15),
    "schedule.event.leave.submit.success": (5, 15),
    # The Teams button lives in our customization (detail.show, 4.10+) and uses proxy.send.
    "kakehashi.teams.create": (4, 10),
}


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


@dataclass
class ProxySetting:
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


class HintOutbox:
    def __init__(self, sim: GaroonSimulator) -> None:
        self._sim = sim
        self.proxy = ProxySetting()
        self.emitted: list[dict[str, Any]] = []  # every JS event the customization saw
        self.deliveries: list[dict[str, Any]] = []  # every POST attempt and its outcome
        self._tasks: set[asyncio.Task[None]] = set()

    def reset(self) -> None:
        self.proxy = ProxySetting()
        self.emitted.clear()
        self.deliveries.clear()

    def configure(self, url: str | None, headers: dict[str, str] | None = None) -> None:
        self.proxy = ProxySetting(url, dict(headers or {}))

    def emit(
        self,
        event_type: str,
        event_id: int,
        actor_id: int,
        actor_code: str,
        range_: str | None = None,
        invitees: list[str] | None = None,
    ) -> None:
        settings = self._sim.settings
        if settings.package_version is not None and _version(
            settings.package_version
        ) < _MIN_VERSION.get(event_type, (0,)):
            return  # the package version does not raise this JS event at all
        body: dict[str, Any] = {
            "source": "garoon-js",
            "eventType": event_type,
            "eventId": str(event_id),
            "actor": {"id": str(actor_id), "code": actor_code},
        }
        if range_ is not None:
            body["range"] = range_
        body["invitees"] = list(invitees or [])
        self.emitted.append(body)
        if settings.drop_hints or not self.proxy.url:
            return
        copies = 2 if settings.duplicate_hints else 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # used from plain Python without a server: recorded only
        for _ in range(copies):
            task = loop.create_task(
                self._post(
                    self.proxy.url, dict(self.proxy.headers), body, settings.hint_delay_seconds
                )
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _post(
        self, url: str, headers: dict[str, str], body: dict[str, Any], delay: float
    ) -> None:
        if delay > 0:
            await asyncio.sleep(delay)  # the "delay hints" switch, not a test wait
        record: dict[str, Any] = {"url": url, "body": body, "status": None, "error": None}
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
                session.post(url, json=body, headers=headers) as resp,
            ):
                record["status"] = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            record["error"] = repr(exc)
        self.deliveries.append(record)

    @property
    def in_flight(self) -> int:
        """Hints scheduled or being posted right now."""
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait for hints in flight (used when the server stops)."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            self._tasks.clear()
