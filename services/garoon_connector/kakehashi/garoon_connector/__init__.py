"""Garoon connector service."""

from kakehashi.garoon_connector.service import GaroonConnectorService

SERVICE = GaroonConnectorService

__all__ = ["SERVICE", "GaroonConnectorService"]
