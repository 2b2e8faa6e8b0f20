"""A private RabbitMQ virtual host (per e2e test; per session for the sandbox tests).

The service topology uses fixed exchange and queue names, so two runs on one broker would share
queues; a fresh vhost isolates them (and is deleted afterwards). Without rabbitmqctl the
configured URL is used as is.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

from tests.conftest import AMQP_URL


def _rabbitmqctl(*args: str) -> bool:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        return False
    done = subprocess.run([tool, *args], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


@contextmanager
def private_vhost(prefix: str) -> Iterator[str]:
    parts = urlsplit(AMQP_URL)
    vhost = f"{prefix}-{uuid.uuid4().hex[:8]}"
    user = parts.username or "guest"
    if _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl(
        "set_permissions", "-p", vhost, user, ".*", ".*", ".*"
    ):
        try:
            yield urlunsplit(parts._replace(path=f"/{vhost}"))
        finally:
            _rabbitmqctl("delete_vhost", vhost)
    else:
        yield AMQP_URL


async def delete_queues(url: str) -> None:
    """Delete every queue of the topology (work, retry tiers, dead letters) on `url`.

    Runs that share a vhost (the sandbox tests) must not hand a message left over from one run
    (a command still in a retry tier, say) to the next run's services.
    """
    import aio_pika

    from kakehashi.bus.topology import declarations
    from kakehashi.contracts.routing import BINDINGS
    from kakehashi.runtime import queue_spec

    names: set[str] = set()
    for queue in BINDINGS:
        spec = queue_spec(queue)
        names.update(decl.name for decl in declarations(spec))
        # Services may tune their retry tiers; extra tier names cost nothing to delete.
        names.update(spec.retry_queue(tier) for tier in range(8))
    connection = await aio_pika.connect(url)
    async with connection:
        channel = await connection.channel()
        for name in sorted(names):
            await channel.queue_delete(name)
