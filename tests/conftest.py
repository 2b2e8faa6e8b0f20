"""Shared fixtures. Component suites keep their own fixtures in their folders."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import settings

# In CI the property tests replay the same examples on every run, so a red build is
# reproducible; developers' runs keep exploring new random examples.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

AMQP_URL = os.environ.get("KAKEHASHI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


@pytest.fixture
def amqp_url() -> str:
    return AMQP_URL


@pytest.fixture
def unique_name() -> str:
    """A fresh name per test, so tests never share exchanges or queues on the real broker."""
    return f"t{uuid.uuid4().hex[:12]}"


_MONGO_NOTE: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real-MongoDB suite runs only against a real server (MONGODB_URL); without one its
    cases are deselected, not skipped, and the run says so once at the end."""
    if os.environ.get("MONGODB_URL"):
        return
    real_mongo = [item for item in items if item.get_closest_marker("mongodb")]
    if not real_mongo:
        return
    items[:] = [item for item in items if not item.get_closest_marker("mongodb")]
    config.hook.pytest_deselected(items=real_mongo)
    _MONGO_NOTE.append(
        f"real-MongoDB suite not run ({len(real_mongo)} cases): set MONGODB_URL to run it"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _MONGO_NOTE:
        terminalreporter.write_line(line)
