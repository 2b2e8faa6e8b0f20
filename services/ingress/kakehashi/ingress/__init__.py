"""Webhook ingress service."""

from kakehashi.ingress.config import IngressConfig
from kakehashi.ingress.service import IngressService

SERVICE = IngressService

__all__ = ["SERVICE", "IngressConfig", "IngressService"]
