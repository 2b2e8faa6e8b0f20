"""Watch each tenant's Graph client-secret expiry: a gauge always, a warning when it is close.

Only the expiry date is read; the secret itself is never touched or logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from kakehashi.contracts.state import Tenant
from kakehashi.renewal.metrics import SECRET_EXPIRY

log = logging.getLogger("kakehashi.renewal")


class SecretExpiryWatch:
    def __init__(self, warn_within: timedelta) -> None:
        self.warn_within = warn_within
        self._labelled: set[str] = set()
        self._warned: dict[str, date] = {}  # one warning per tenant and day, not per tick

    def observe(self, tenants: Iterable[Tenant], now: datetime) -> None:
        seen: set[str] = set()
        for tenant in tenants:
            expires = tenant.graph.secret_expires_at if tenant.graph else None
            if expires is None:
                continue
            if expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            left = expires - now
            SECRET_EXPIRY.labels(tenant.id).set(left.total_seconds())
            seen.add(tenant.id)
            if left < self.warn_within and self._warned.get(tenant.id) != now.date():
                self._warned[tenant.id] = now.date()
                log.warning(
                    "Graph client secret has expired"
                    if left.total_seconds() <= 0
                    else "Graph client secret expires soon",
                    extra={
                        "tenant_id": tenant.id,
                        "expires_at": expires.isoformat(),
                        "days_left": round(left.total_seconds() / 86400, 1),
                    },
                )
        for gone in self._labelled - seen:
            SECRET_EXPIRY.remove(gone)
        self._labelled = seen
