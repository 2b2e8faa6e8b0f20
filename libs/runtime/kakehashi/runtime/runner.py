"""Process entry point for services: logging and tracing, then the host until a signal."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence

from kakehashi.runtime.host import ServiceHost
from kakehashi.runtime.keys import ConfigurationError
from kakehashi.runtime.logs import configure_logging
from kakehashi.runtime.service import Service
from kakehashi.runtime.settings import Settings
from kakehashi.runtime.tracing import setup_tracing, shutdown_tracing
from kakehashi.store import EncryptionKeyError

log = logging.getLogger("kakehashi.runtime")


def run_services(services: Sequence[Service], settings: Settings) -> int:
    """Run until SIGTERM/SIGINT and return the exit code: 0 after a clean drain, 1 when the
    drain was cut short or start-up failed, 2 for a configuration error."""
    configure_logging(settings)
    setup_tracing(settings)
    log.info(
        "starting",
        extra={"settings": settings.safe_dump(), "services": [s.name for s in services]},
    )
    host = ServiceHost(services, settings)
    try:
        with asyncio.Runner() as runner:
            code = runner.run(host.run())
            if host.forced:
                # Tasks that ignored the drain would block the loop's own clean-up.
                logging.shutdown()
                sys.stderr.flush()
                os._exit(code)
    except (ConfigurationError, EncryptionKeyError) as exc:
        log.error("configuration error: %s", exc)
        return 2
    finally:
        shutdown_tracing()
    return code
