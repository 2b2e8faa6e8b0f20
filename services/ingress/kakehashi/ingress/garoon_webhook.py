"""POST /webhooks/garoon: browser hints forwarded by Garoon's proxy.

Garoon's proxy setting adds X-Kakehashi-Tenant and X-Kakehashi-Secret; the secret is compared in
constant time with the tenant's `hint_secret`. A hint only says "look at event X" (hints are not
truth), so after authentication it is validated and published as a GaroonHint.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from pydantic import ValidationError

from kakehashi.contracts import GaroonHint
from kakehashi.contracts.state import Tenant
from kakehashi.ingress.config import IngressConfig
from kakehashi.ingress.garoon_models import GaroonHintBody
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

TENANT_HEADER = "X-Kakehashi-Tenant"
SECRET_HEADER = "X-Kakehashi-Secret"
_MAX_HEADER = 256
# Compared against when there is no real secret, so a miss costs the same as a mismatch.
_NO_SECRET = b"\x00" * 32


class _Unavailable(Exception):
    pass


class GaroonWebhook:
    def __init__(self, ctx: ServiceContext, config: IngressConfig) -> None:
        self.ctx = ctx
        self.config = config

    async def handle(self, request: web.Request) -> web.StreamResponse:
        limit = self.config.garoon_max_body
        declared = request.content_length
        if declared is not None and declared > limit:
            return too_large(limit)  # before any work, authenticated or not
        try:
            tenant = await self._authenticate(request)
        except _Unavailable:
            return json_error(503, "unavailable", "tenant store unavailable; retry")
        if tenant is None:
            ITEMS.labels("garoon", "forged").inc()
            return json_error(
                401,
                "unauthorized",
                f"missing or invalid {TENANT_HEADER} / {SECRET_HEADER} (check Garoon's proxy "
                "setting)",
            )
        if request.content_type != "application/json":
            return unsupported_media("application/json", request.content_type)
        try:
            body = await read_limited(request, limit)
        except BodyTooLarge:
            return too_large(limit)
        try:
            parsed = GaroonHintBody.model_validate_json(body)
        except ValidationError as exc:
            ITEMS.labels("garoon", "invalid").inc()
            return validation_failed(exc)
        # A fresh id per hint: two edits of one event in quick succession are two hints, and
        # collapsing them could lose the second one until the next sweep.
        hint = GaroonHint(
            tenant_id=tenant.id,
            garoon_user=parsed.actor.code,
            event_id=parsed.event_id,
            action=parsed.action,
            range=parsed.effective_range,
            origin="browser",
            invitees=list(parsed.invitees),
        )
        try:
            await publish_all(self.ctx.bus, [hint], deadline=self.config.deadline)
        except NotQueued as exc:
            log.warning(
                "garoon hint not queued", extra={"tenant_id": tenant.id, "detail": str(exc)}
            )
            return json_error(503, "unavailable", "hint could not be queued; retry")
        ITEMS.labels("garoon", "published").inc()
        log.debug(
            "garoon hint queued",
            extra={"tenant_id": tenant.id, "action": hint.action, "message_id": hint.message_id},
        )
        return web.json_response({"accepted": True, "message_id": hint.message_id}, status=202)

    async def _authenticate(self, request: web.Request) -> Tenant | None:
        tenant_id = request.headers.get(TENANT_HEADER, "")
        secret = request.headers.get(SECRET_HEADER, "")
        if not tenant_id or not secret or len(tenant_id) > _MAX_HEADER:
            return None
        try:
            async with asyncio.timeout(self.config.deadline):
                tenant = await self.ctx.store.tenants.get(tenant_id)
        except (TimeoutError, StoreError) as exc:
            log.warning("tenant look-up failed", extra={"error": type(exc).__name__})
            raise _Unavailable from exc
        stored = tenant.hint_secret if tenant is not None else None
        expected = stored.get_secret_value().encode() if stored is not None else _NO_SECRET
        matches = hmac.compare_digest(secret.encode("utf-8", "surrogateescape"), expected)
        if tenant is None or stored is None or not matches:
            # The tenant id is not secret; the secret is never logged.
            log.warning(
                "garoon hint rejected",
                extra={"tenant_id": tenant_id[:64], "reason": _reason(tenant, stored is None)},
            )
            return None
        return tenant


def _reason(tenant: Tenant | None, no_secret: bool) -> str:
    if tenant is None:
        return "unknown tenant"
    if no_secret:
        return "tenant has no hint secret"
    return "secret mismatch"
