"""Tunables of the renewal service; defaults are what production runs with."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

ENV_INTERVAL = "KAKEHASHI_RENEWAL_INTERVAL_SECONDS"
ENV_LIFETIME = "KAKEHASHI_SUBSCRIPTION_LIFETIME_MINUTES"


@dataclass(frozen=True)
class RenewalConfig:
    # 4,230 minutes is accepted under both documented Outlook limits (4,230 before late 2024,
    # 10,080 since); a tenant that allows less says so in its 400 and we retry with that.
    lifetime: timedelta = timedelta(minutes=4230)
    # Renew once less than this share of the lifetime is left: a day and more of slack for
    # outages, far from Graph's deadline.
    renew_fraction: float = 0.5
    # Seconds between ticks, jittered by +-jitter so replicas and tenants do not align.
    interval: float = 60.0
    jitter: float = 0.2
    # Warn about a client secret expiring within this time.
    secret_warning: timedelta = timedelta(days=30)
    change_type: str = "created,updated,deleted"
    webhook_path: str = "/webhooks/graph"
    # Graph calls of one tick run this many users at a time.
    concurrency: int = 4

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> RenewalConfig:
        config = cls()
        if value := env.get(ENV_INTERVAL, "").strip():
            config = replace(config, interval=max(1.0, _number(ENV_INTERVAL, value)))
        if value := env.get(ENV_LIFETIME, "").strip():
            # Graph raises anything under 45 minutes to 45.
            minutes = max(45.0, _number(ENV_LIFETIME, value))
            config = replace(config, lifetime=timedelta(minutes=minutes))
        return config


def _number(name: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None
