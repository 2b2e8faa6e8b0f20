"""Service processes on a real broker, each test run in its own RabbitMQ virtual host."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.conftest import AMQP_URL
from tests.services.process import KakehashiProcess

# The service topology uses fixed queue names; a private vhost keeps runs from meeting.


def _rabbitmqctl(*args: str) -> bool:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        return False
    done = subprocess.run([tool, *args], capture_output=True, timeout=60, check=False)
    return done.returncode == 0


@pytest.fixture(scope="session")
def broker_url() -> Iterator[str]:
    """An AMQP URL on a fresh vhost when rabbitmqctl is at hand, else the configured one."""
    parts = urlsplit(AMQP_URL)
    vhost = f"kakehashi-test-{uuid.uuid4().hex[:8]}"
    user = parts.username or "guest"
    if _rabbitmqctl("add_vhost", vhost) and _rabbitmqctl(
        "set_permissions", "-p", vhost, user, ".*", ".*", ".*"
    ):
        yield urlunsplit(parts._replace(path=f"/{vhost}"))
        _rabbitmqctl("delete_vhost", vhost)
    else:
        yield AMQP_URL


@pytest.fixture
async def spawn(tmp_path: Path) -> AsyncIterator[Callable[..., KakehashiProcess]]:
    started: list[KakehashiProcess] = []

    def make(args: list[str], env: dict[str, str]) -> KakehashiProcess:
        proc = KakehashiProcess(args, env, tmp_path / f"process-{len(started)}.log")
        started.append(proc)
        return proc

    yield make
    for proc in started:
        await proc.kill()
