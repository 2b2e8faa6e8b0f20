"""Graph connector service."""

from kakehashi.graph_connector.service import GraphConnectorService

SERVICE = GraphConnectorService

__all__ = ["SERVICE", "GraphConnectorService"]
