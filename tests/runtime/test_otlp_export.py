"""With KAKEHASHI_OTLP_ENDPOINT set, a service process exports the spans of a bus message it
handled to that collector over OTLP/HTTP: the publish span and the consumer span, one trace
through the RabbitMQ message headers. Without it, nothing is exported.

setup_tracing installs a process-wide provider and instrumentations, so each run is a child
process (as a deployed service is); the collector is a small aiohttp server in the test.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import sys
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from tests.conftest import AMQP_URL
from tests.support.waiting import wait_until

pytestmark = pytest.mark.rabbitmq

CHILD_TIMEOUT = 90.0

# One service-like process: tracing as run_services sets it up, then one message published and
# handled over the real broker on a private exchange and queue, then the at-exit flush.
CHILD = r"""
import asyncio, dataclasses, json, sys

from kakehashi.bus import RabbitBus
from kakehashi.contracts import GraphLifecycle, routing
from kakehashi.runtime import Settings, queue_spec, setup_tracing
from kakehashi.runtime.tracing import shutdown_tracing
from tests.support.rabbitmq import cleanup

amqp_url, name = sys.argv[1], sys.argv[2]


async def main() -> dict:
    exchange = f"{name}.x"
    spec = dataclasses.replace(queue_spec(routing.RENEWAL_LIFECYCLE), name=f"{name}.renewal")
    bus = RabbitBus(amqp_url, exchange=exchange)
    handled = asyncio.Event()

    async def handle(message):
        handled.set()

    try:
        await bus.connect()
        await bus.consume(spec, handle)
        message = GraphLifecycle(tenant_id="t", subscription_id="s", lifecycle_event="missed")
        await bus.publish(message)
        await asyncio.wait_for(handled.wait(), 30)
    finally:
        await bus.close()
        await cleanup(amqp_url, [spec], exchange)
    return {"message_id": message.message_id, "routing_key": message.routing_key,
            "queue": spec.name}


setup_tracing(Settings(service_name="renewal"))
try:
    print(json.dumps(asyncio.run(main())))
finally:
    shutdown_tracing()
"""


@dataclass
class Collector:
    """An OTLP/HTTP trace receiver: every POST /v1/traces, decoded."""

    url: str = ""
    posts: int = 0
    spans: list[tuple[dict[str, Any], Span]] = field(default_factory=list)  # (resource, span)

    def named(self, name: str) -> list[tuple[dict[str, Any], Span]]:
        return [(res, span) for res, span in self.spans if span.name == name]


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in items:
        kind = kv.value.WhichOneof("value")
        out[kv.key] = getattr(kv.value, kind) if kind else None
    return out


@pytest.fixture
async def collector() -> AsyncIterator[Collector]:
    found = Collector()

    async def traces(request: web.Request) -> web.Response:
        body = await request.read()
        encoding = request.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        if request.content_type != "application/x-protobuf":
            raise web.HTTPUnsupportedMediaType(text=request.content_type)
        export = ExportTraceServiceRequest.FromString(body)
        found.posts += 1
        for resource_spans in export.resource_spans:
            resource = attributes(resource_spans.resource.attributes)
            for scope_spans in resource_spans.scope_spans:
                found.spans.extend((resource, span) for span in scope_spans.spans)
        # An empty ExportTraceServiceResponse: everything accepted.
        return web.Response(body=b"", content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}"
    try:
        yield found
    finally:
        await runner.cleanup()


async def run_child(env: dict[str, str]) -> dict[str, str]:
    """Run CHILD to completion; return what it handled."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        AMQP_URL,
        f"t{uuid.uuid4().hex[:12]}",
        env=env,
        cwd=os.getcwd(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), CHILD_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode == 0, err.decode()[-3000:]
    result: dict[str, str] = json.loads(out.decode().strip().splitlines()[-1])
    return result


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["KAKEHASHI_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


async def test_spans_of_a_handled_message_reach_the_configured_collector(collector):
    handled = await run_child(child_env(KAKEHASHI_OTLP_ENDPOINT=collector.url))

    process_name = f"{handled['queue']} process"
    publish_name = f"{handled['routing_key']} publish"
    await wait_until(
        lambda: collector.named(process_name) and collector.named(publish_name),
        timeout=10,
        message="publish and process spans at the collector",
    )
    [(resource, consumed)] = collector.named(process_name)
    [(_, published)] = collector.named(publish_name)

    assert resource["service.name"] == "renewal"
    assert resource["service.namespace"] == "kakehashi"
    assert consumed.kind == Span.SPAN_KIND_CONSUMER
    assert published.kind == Span.SPAN_KIND_PRODUCER
    consumed_attributes = attributes(consumed.attributes)
    assert consumed_attributes["messaging.system"] == "rabbitmq"
    assert consumed_attributes["messaging.destination.name"] == handled["queue"]
    assert consumed_attributes["messaging.message.id"] == handled["message_id"]

    # One trace: the consumer's context came from the message headers, so the consumer span
    # descends from the publish span (through any aio-pika span in between).
    assert consumed.trace_id == published.trace_id
    by_id = {
        span.span_id: span for _, span in collector.spans if span.trace_id == consumed.trace_id
    }
    ancestors = []
    parent = consumed.parent_span_id
    while parent in by_id and parent not in ancestors:
        ancestors.append(parent)
        parent = by_id[parent].parent_span_id
    assert published.span_id in ancestors


async def test_without_the_setting_nothing_is_exported(collector):
    # Even the generic OpenTelemetry variable does not switch export on: only the service's
    # own setting does, so a stray OTEL_* in a pod never ships spans somewhere unexpected.
    handled = await run_child(child_env(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url))

    assert handled["message_id"]  # the message was handled; tracing just stayed local
    assert collector.posts == 0
    assert collector.spans == []
