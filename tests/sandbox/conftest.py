"""One `kakehashi sandbox` process shared by the module's tests, on a private RabbitMQ vhost."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.e2e.broker import private_vhost
from tests.sandbox.process import SandboxProcess, wait_for


@pytest.fixture(scope="session")
def sandbox_amqp_url() -> Iterator[str]:
    with private_vhost("kakehashi-sandbox") as url:
        yield url


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, sandbox_amqp_url: str
) -> Iterator[SandboxProcess]:
    sandbox = SandboxProcess(tmp_path_factory.mktemp("sandbox"), sandbox_amqp_url)
    sandbox.start()
    try:
        wait_for(sandbox.card_printed, "the sandbox card")
        yield sandbox
        # Stopping is part of the contract: SIGTERM ends everything with exit code 0.
        assert sandbox.stop(signal.SIGTERM) == 0, sandbox.stderr[-2000:]
    finally:
        sandbox.kill()
