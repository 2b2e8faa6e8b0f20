"""Settings, logging, tracing, health server and service lifecycle."""

from kakehashi.runtime.host import CONTEXT, ServiceHost
from kakehashi.runtime.keys import ConfigurationError, resolve_key
from kakehashi.runtime.logs import configure_logging, redact
from kakehashi.runtime.queues import queue_spec
from kakehashi.runtime.service import Service, ServiceContext
from kakehashi.runtime.settings import DEFAULT_PORTS, Settings, load_settings
from kakehashi.runtime.tracing import setup_tracing

__all__ = [
    "CONTEXT",
    "DEFAULT_PORTS",
    "ConfigurationError",
    "Service",
    "ServiceContext",
    "ServiceHost",
    "Settings",
    "configure_logging",
    "load_settings",
    "queue_spec",
    "redact",
    "resolve_key",
    "setup_tracing",
]
