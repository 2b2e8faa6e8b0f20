"""Log lines are JSON objects with trace ids; secret values never reach them."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from kakehashi.runtime.logs import configure_logging
from kakehashi.runtime.settings import Settings


@pytest.fixture
def lines():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging(Settings(service_name="translator", log_level="DEBUG"), stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers[:] = handlers
    root.setLevel(level)


def test_one_json_object_per_line_with_service_and_extras(lines):
    logging.getLogger("kakehashi.test").info("hello %s", "world", extra={"tenant_id": "t1"})
    (entry,) = lines()
    assert entry["msg"] == "hello world"
    assert entry["level"] == "info"
    assert entry["logger"] == "kakehashi.test"
    assert entry["service"] == "translator"
    assert entry["tenant_id"] == "t1"
    assert "ts" in entry
    assert "trace_id" not in entry


def test_lines_inside_a_span_carry_its_trace_and_span_ids(lines):
    # A local provider: the global one belongs to the process (set once, by services).
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("work") as span:
        logging.getLogger("kakehashi.test").info("inside")
        ctx = span.get_span_context()
    (entry,) = lines()
    assert entry["trace_id"] == format(ctx.trace_id, "032x")
    assert entry["span_id"] == format(ctx.span_id, "016x")


def test_secret_values_are_redacted(lines):
    log = logging.getLogger("kakehashi.test")
    log.warning(
        "calling amqp://kake:pw-in-url@rabbit/ failed",
        extra={
            "client_secret": "s3cr3t",
            "password": "p4ss",
            "headers": {"Authorization": "Bearer abc.def", "Accept": "json"},
            "clientState": "cs-1",
            "subscription": {"client_state": "cs-2", "id": "sub-1"},
            "url": "mongodb://u:mongo-pw@db/",
        },
    )
    (entry,) = lines()
    text = json.dumps(entry)
    for secret in ("s3cr3t", "p4ss", "abc.def", "cs-1", "cs-2", "pw-in-url", "mongo-pw"):
        assert secret not in text
    assert entry["client_secret"] == "***"
    assert entry["headers"] == {"Authorization": "***", "Accept": "json"}
    assert entry["subscription"]["id"] == "sub-1"


def test_exceptions_are_logged_in_the_same_line(lines):
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("kakehashi.test").exception("failed")
    (entry,) = lines()
    assert "RuntimeError: boom" in entry["exc"]
