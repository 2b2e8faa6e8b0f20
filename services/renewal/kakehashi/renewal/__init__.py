"""Subscription renewal service."""

from kakehashi.renewal.config import RenewalConfig
from kakehashi.renewal.service import RenewalService

SERVICE = RenewalService

__all__ = ["SERVICE", "RenewalConfig", "RenewalService"]
