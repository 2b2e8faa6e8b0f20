"""Admin HTTP API."""

from kakehashi.admin.service import AdminService

SERVICE = AdminService

__all__ = ["SERVICE", "AdminService"]
