"""Webhook side of subscriptions: validation handshake, batched delivery with retries, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import ssl
import time
import uuid
from collections import defaultdict
from typing import Any
from urllib.parse import quote

import aiohttp

from .model import Subscription, Switches

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, switches: Switches) -> None:
        self.switches = switches
        self.ssl_context: ssl.SSLContext | None = None  # trust for HTTPS webhooks (None = system)
        self.deliveries: list[dict[str, Any]] = []  # every POST attempt, for tests
        self._pending: list[tuple[str, str, dict[str, Any]]] = []  # (url, kind, item)
        self._flush_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        # Subscriptions seen in change notifications, so a delivery given up on can be
        # reported as `missed` on their lifecycle URL.
        self._subscriptions: dict[str, tuple[Subscription, str]] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _ssl(self) -> ssl.SSLContext | bool:
        return self.ssl_context if self.ssl_context is not None else True

    async def aclose(self) -> None:
        for task in list(self._tasks) + ([self._flush_task] if self._flush_task else []):
            task.cancel()
        for task in list(self._tasks) + ([self._flush_task] if self._flush_task else []):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        self._flush_task = None
        self._pending.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        self.deliveries.clear()
        self._pending.clear()

    # ------------------------------------------------------------------ handshake
    async def validate(self, url: str) -> tuple[bool, str]:
        """POST {url}?validationToken=...; the endpoint must echo the decoded token in time."""
        token = (
            "Validation: Testing client application reachability for subscription "
            f"Request-Id: {uuid.uuid4()}"
        )
        sep = "&" if "?" in url else "?"
        target = f"{url}{sep}validationToken={quote(token)}"
        started = time.monotonic()
        try:
            async with self._client().post(
                target,
                data=b"",
                headers={"Content-Type": "text/plain; charset=utf-8"},
                ssl=self._ssl(),
                timeout=aiohttp.ClientTimeout(total=self.switches.validation_timeout_seconds),
            ) as resp:
                text = await resp.text()
                ok = resp.status == 200 and text == token
                ctype = resp.headers.get("Content-Type", "")
                ok = ok and ctype.startswith("text/plain")
                self.deliveries.append(
                    {
                        "url": url,
                        "kind": "validation",
                        "status": resp.status,
                        "ok": ok,
                        "seconds": time.monotonic() - started,
                    }
                )
                return ok, f"status {resp.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            self.deliveries.append(
                {"url": url, "kind": "validation", "status": None, "ok": False, "error": repr(exc)}
            )
            return False, repr(exc)

    # ------------------------------------------------------------------ change notifications
    def change(
        self,
        sub: Subscription,
        tenant_id: str,
        change_type: str,
        user_id: str,
        event_id: str,
        change_key: str,
    ) -> None:
        self._subscriptions[sub.id] = (sub, tenant_id)
        resource = f"Users/{user_id}/Events/{event_id}"
        item = {
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": _iso(sub),
            "changeType": change_type,
            "resource": resource,
            "resourceData": {
                "@odata.type": "#Microsoft.Graph.Event",
                "@odata.id": resource,
                "@odata.etag": f'W/"{change_key}"',
                "id": event_id,
            },
            "clientState": sub.client_state,
            "tenantId": tenant_id,
        }
        sw = self.switches
        if sw.drop_notifications > 0:
            sw.drop_notifications -= 1
            self.deliveries.append({"url": sub.notification_url, "kind": "dropped", "item": item})
            return
        if sw.drop_rate and random.random() < sw.drop_rate:
            self.deliveries.append({"url": sub.notification_url, "kind": "dropped", "item": item})
            return
        copies = 1
        if sw.duplicate_notifications > 0:
            sw.duplicate_notifications -= 1
            copies = 2
        elif sw.duplicate_rate and random.random() < sw.duplicate_rate:
            copies = 2
        for _ in range(copies):
            self._enqueue(sub.notification_url, "change", item)

    def lifecycle(self, sub: Subscription, tenant_id: str, event: str) -> bool:
        if not sub.lifecycle_url:
            return False
        item = {
            "subscriptionId": sub.id,
            "subscriptionExpirationDateTime": _iso(sub),
            "tenantId": tenant_id,
            "clientState": sub.client_state,
            "lifecycleEvent": event,
        }
        self._enqueue(sub.lifecycle_url, "lifecycle", item)
        return True

    def _enqueue(self, url: str, kind: str, item: dict[str, Any]) -> None:
        self._pending.append((url, kind, item))
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # flushed by the next change made inside a running loop
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = loop.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        # First the processing delay, then a batching window that collects further items.
        await asyncio.sleep(
            (self.switches.notification_delay_ms + self.switches.notification_batch_window_ms)
            / 1000
        )
        pending, self._pending = self._pending, []
        batches: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for url, kind, item in pending:
            batches[(url, kind)].append(item)
        for (url, kind), items in batches.items():
            task = asyncio.get_running_loop().create_task(self._deliver(url, kind, items))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        if self._pending:
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _deliver(self, url: str, kind: str, items: list[dict[str, Any]]) -> None:
        body = {"value": items}
        delay = self.switches.notification_retry_base_ms / 1000
        for attempt in range(1, self.switches.notification_max_attempts + 1):
            record: dict[str, Any] = {
                "url": url,
                "kind": kind,
                "attempt": attempt,
                "items": items,
                "id": secrets.token_hex(4),
            }
            try:
                async with self._client().post(
                    url, json=body, timeout=aiohttp.ClientTimeout(total=10), ssl=self._ssl()
                ) as resp:
                    await resp.read()
                    record["status"] = resp.status
                    self.deliveries.append(record)
                    if 200 <= resp.status < 300:
                        return
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                record["status"] = None
                record["error"] = repr(exc)
                self.deliveries.append(record)
            await asyncio.sleep(delay)  # exponential back-off, like Graph's retries (compressed)
            delay *= 2
        log.warning("giving up on notification delivery to %s", url)
        if kind == "change" and self.switches.missed_after_give_up:
            # Graph tells the app about notifications it could not deliver with a `missed`
            # lifecycle event; the app's answer is a delta resync.
            for sub_id in dict.fromkeys(item["subscriptionId"] for item in items):
                known = self._subscriptions.get(sub_id)
                if known is not None:
                    self.lifecycle(known[0], known[1], "missed")


def _iso(sub: Subscription) -> str:
    return (
        sub.expiration.strftime("%Y-%m-%dT%H:%M:%S.") + f"{sub.expiration.microsecond:06d}0+00:00"
    )
