"""POST /webhooks/graph: the validation handshake, change and lifecycle notifications.

Authentication is per item: the subscription must be one we created (stored) and the item's
clientState must equal the one we stored for it (constant-time). Authentic change items become
GraphHint messages, lifecycle items GraphLifecycle; both are published with a confirm before
the 202, within the configured deadline, else 503 so that Graph retries the whole batch.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import logging
import re
from dataclasses import dataclass

from aiohttp import web
from pydantic import ValidationError

from kakehashi.contracts import GraphHint, GraphLifecycle, Message, deterministic_id
from kakehashi.contracts.state import Subscription
from kakehashi.ingress.config import IngressConfig
from kakehashi.ingress.graph_models import (
    CHANGE_TYPES,
    LIFECYCLE_EVENTS,
    ChangeNotification,
    NotificationCollection,
)
from kakehashi.ingress.http import (
    BodyTooLarge,
    json_error,
    read_limited,
    too_large,
    unsupported_media,
    validation_failed,
)
from kakehashi.ingress.metrics import ITEMS
from kakehashi.ingress.publishing import NotQueued, publish_all
from kakehashi.runtime import ServiceContext
from kakehashi.store import StoreError

log = logging.getLogger("kakehashi.ingress")

# The resource we subscribe to (renewal): /users/{graph user id}/events
_RESOURCE = re.compile(r"^/?users/([^/]+)/events$", re.IGNORECASE)
# Rejected subscription ids named in one log line (the rest are counted).
_LOGGED_IDS = 5
# Store look-ups in flight at once for one batch.
_LOOKUP_CONCURRENCY = 16


@dataclass
class _Verdict:
    message: Message | None = None
    forged: str | None = None  # why the item is not authentic
    invalid: str | None = None  # authentic, but not something we can act on


class GraphWebhook:
    def __init__(self, ctx: ServiceContext, config: IngressConfig) -> None:
        self.ctx = ctx
        self.config = config

    async def handle(self, request: web.Request) -> web.StreamResponse:
        token = request.query.get("validationToken")
        if token is not None:
            return self._handshake(token)
        if request.content_type != "application/json":
            return unsupported_media("application/json", request.content_type)
        try:
            body = await read_limited(request, self.config.graph_max_body)
        except BodyTooLarge:
            return too_large(self.config.graph_max_body)
        try:
            batch = NotificationCollection.model_validate_json(body)
        except ValidationError as exc:
            return validation_failed(exc)
        try:
            async with asyncio.timeout(self.config.deadline):
                return await self._process(batch.value)
        except (TimeoutError, StoreError, NotQueued) as exc:
            log.warning(
                "graph notifications not queued, asking Graph to retry",
                extra={"error": type(exc).__name__, "detail": str(exc), "items": len(batch.value)},
            )
            return json_error(503, "unavailable", "notifications could not be queued; retry")

    def _handshake(self, token: str) -> web.Response:
        if not token or len(token) > self.config.max_validation_token:
            return json_error(400, "invalid_validation_token", "validationToken is empty or long")
        # The token is opaque; Graph says it holds no markup, escaping makes sure of it.
        return web.Response(
            text=html.escape(token),
            content_type="text/plain",
            headers={"X-Content-Type-Options": "nosniff"},
        )

    async def _process(self, items: list[ChangeNotification]) -> web.Response:
        subscriptions = await self._lookup({item.subscription_id for item in items})
        verdicts = [await self._judge(item, subscriptions) for item in items]
        messages = [v.message for v in verdicts if v.message is not None]
        forged = [(i, v.forged) for i, v in zip(items, verdicts, strict=True) if v.forged]
        invalid = [(i, v.invalid) for i, v in zip(items, verdicts, strict=True) if v.invalid]
        if forged:
            log.warning(
                "graph notifications rejected",
                extra={
                    "count": len(forged),
                    "reasons": sorted({reason for _, reason in forged}),
                    "subscription_ids": sorted({i.subscription_id for i, _ in forged})[
                        :_LOGGED_IDS
                    ],
                },
            )
        if invalid:
            log.info(
                "authentic graph notifications ignored",
                extra={"count": len(invalid), "reasons": sorted({r for _, r in invalid})},
            )
        if not messages and forged:
            ITEMS.labels("graph", "forged").inc(len(forged))
            ITEMS.labels("graph", "invalid").inc(len(invalid))
            return json_error(403, "forbidden", "no authentic notification in the request")
        await publish_all(self.ctx.bus, messages, deadline=self.config.deadline)
        ITEMS.labels("graph", "published").inc(len(messages))
        ITEMS.labels("graph", "forged").inc(len(forged))
        ITEMS.labels("graph", "invalid").inc(len(invalid))
        return web.json_response(
            {"accepted": len(messages), "rejected": len(forged) + len(invalid)}, status=202
        )

    async def _lookup(self, ids: set[str]) -> dict[str, Subscription | None]:
        """Each distinct subscription once, concurrently: a batch may name many of them."""
        slots = asyncio.Semaphore(_LOOKUP_CONCURRENCY)

        async def one(subscription_id: str) -> Subscription | None:
            async with slots:
                return await self.ctx.store.subscriptions.get(subscription_id)

        ordered = sorted(ids)
        found = await asyncio.gather(*(one(i) for i in ordered))
        return dict(zip(ordered, found, strict=True))

    async def _judge(
        self, item: ChangeNotification, subscriptions: dict[str, Subscription | None]
    ) -> _Verdict:
        sub = subscriptions.get(item.subscription_id)
        if sub is None:
            return _Verdict(forged="unknown subscription")
        expected = sub.client_state.get_secret_value().encode()
        given = (item.client_state or "").encode()
        if not hmac.compare_digest(given, expected):
            return _Verdict(forged="clientState mismatch")
        if item.lifecycle_event is not None:
            return self._lifecycle(item, sub)
        return await self._change(item, sub)

    @staticmethod
    def _lifecycle(item: ChangeNotification, sub: Subscription) -> _Verdict:
        event = item.lifecycle_event
        if event not in LIFECYCLE_EVENTS:
            return _Verdict(invalid=f"unknown lifecycleEvent {event!r}")
        # Graph resends the same item on retries; these parts collapse them into one id.
        message_id = deterministic_id(
            "lifecycle", sub.id, event, item.expiration or "", item.notification_id or ""
        )
        return _Verdict(
            message=GraphLifecycle(
                message_id=message_id,
                tenant_id=sub.tenant_id,
                subscription_id=sub.id,
                lifecycle_event=event,  # checked above
            )
        )

    async def _change(self, item: ChangeNotification, sub: Subscription) -> _Verdict:
        change = item.change_type
        if change not in CHANGE_TYPES:
            return _Verdict(invalid=f"unsupported changeType {change!r}")
        data = item.resource_data
        if data is None or not data.id:
            return _Verdict(invalid="no resourceData.id")
        mailbox = await self._mailbox(sub)
        if mailbox is None:
            return _Verdict(invalid="subscription names no mailbox")
        etag = data.etag
        return _Verdict(
            message=GraphHint(
                message_id=deterministic_id(sub.id, data.id, etag or "", change),
                tenant_id=sub.tenant_id,
                subscription_id=sub.id,
                user_id=mailbox,
                event_id=data.id,
                change_type=change,  # checked above
                etag=etag,
            )
        )

    async def _mailbox(self, sub: Subscription) -> str | None:
        """The mailbox of a subscription: from the resource we created it on, else its link."""
        match = _RESOURCE.match(sub.resource)
        if match:
            return match.group(1)
        link = await self.ctx.store.user_links.get(sub.user_link_id)
        if link is None:
            return None
        return link.graph_user_id or link.m365_address
