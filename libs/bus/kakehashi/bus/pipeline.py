"""What a consumer does with one delivery; shared by both buses so their semantics match.

decode -> dedupe -> handler -> mark processed -> ack. A failure is retried through a delay tier
or dead-lettered with its error attached; either way the original is acked only after the copy
is confirmed, so a message is never dropped and never blocks its queue.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Protocol

from opentelemetry import trace

from kakehashi.bus import metrics, topology
from kakehashi.bus.api import Handler, Poison, ProcessedLog, QueueSpec, Retry
from kakehashi.bus.tracing import extract_context, tracer
from kakehashi.contracts import routing

log = logging.getLogger("kakehashi.bus")

ATTEMPT = "x-kakehashi-attempt"
ATTEMPTS = "x-kakehashi-attempts"
ERROR = "x-kakehashi-error"
FAILED_AT = "x-kakehashi-failed-at"
ROUTING_KEY = "x-kakehashi-routing-key"
ERROR_MAX_CHARS = 1000
# When a retry/dead-letter copy cannot be published (broker unreachable) the delivery is
# requeued after this pause, so a broken publish path does not spin through the queue.
FORWARD_FAILURE_PAUSE = 1.0
# Broker bookkeeping that must not travel with a copy: stale x-death entries would make
# RabbitMQ's dead-letter cycle detection drop the copy on its next expiry.
_BROKER_HEADERS = ("x-death", "x-delivery-count")


class Delivery(Protocol):
    """One delivered message as the transport sees it."""

    @property
    def routing_key(self) -> str: ...

    @property
    def body(self) -> bytes: ...

    @property
    def headers(self) -> Mapping[str, object]: ...

    async def ack(self) -> None: ...

    async def requeue(self) -> None: ...

    async def forward(self, queue: str, headers: dict[str, object]) -> None:
        """Publish a copy of the body with these headers to a queue, waiting for the confirm."""


def attempt_of(headers: Mapping[str, object]) -> int:
    value = headers.get(ATTEMPT, 1)
    try:
        return max(1, int(str(value)))
    except ValueError:
        return 1


def original_routing_key(delivery: Delivery) -> str:
    # A retried copy comes back from its tier with the work queue's name as routing key.
    value = delivery.headers.get(ROUTING_KEY)
    if isinstance(value, bytes):
        value = value.decode()
    return value if isinstance(value, str) and value else delivery.routing_key


def copy_headers(headers: Mapping[str, object]) -> dict[str, object]:
    return {
        k: v
        for k, v in headers.items()
        if k not in _BROKER_HEADERS and not k.startswith(("x-first-death", "x-last-death"))
    }


def describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= ERROR_MAX_CHARS else text[: ERROR_MAX_CHARS - 1] + "…"


async def drain(
    stop_consuming: Callable[[], Awaitable[None]],
    inflight: set[asyncio.Task[None]],
    timeout: float,
) -> None:
    """Stop consuming and let in-flight handlers finish for up to `timeout` seconds, then
    cancel what is still running (its messages stay unacked, for redelivery)."""
    try:
        await asyncio.wait_for(stop_consuming(), timeout)
    except TimeoutError:
        log.warning("drain timed out, cancelling handlers", extra={"count": len(inflight)})
    for task in list(inflight):
        task.cancel()
    await asyncio.gather(*inflight, return_exceptions=True)


async def handle_delivery(
    delivery: Delivery,
    spec: QueueSpec,
    handler: Handler,
    *,
    processed: ProcessedLog | None,
    tracer_provider: trace.TracerProvider | None = None,
) -> str:
    """Settle one delivery and count it; returns the outcome label."""
    outcome = await _settle(delivery, spec, handler, processed, tracer_provider)
    metrics.CONSUMED.labels(spec.name, outcome).inc()
    return outcome


async def _settle(
    delivery: Delivery,
    spec: QueueSpec,
    handler: Handler,
    processed: ProcessedLog | None,
    tracer_provider: trace.TracerProvider | None,
) -> str:
    attempt = attempt_of(delivery.headers)
    routing_key = original_routing_key(delivery)
    extra: dict[str, object] = {"queue": spec.name, "routing_key": routing_key, "attempt": attempt}
    span_attributes = {
        "messaging.system": "rabbitmq",
        "messaging.destination.name": spec.name,
        "messaging.rabbitmq.destination.routing_key": routing_key,
    }
    with tracer(tracer_provider).start_as_current_span(
        f"{spec.name} process",
        context=extract_context(delivery.headers),
        kind=trace.SpanKind.CONSUMER,
        attributes=span_attributes,
    ) as span:
        try:
            message = routing.decode(routing_key, delivery.body)
        except Exception as exc:
            log.error(
                "undecodable message, dead-lettering", extra={**extra, "error": describe(exc)}
            )
            return await _dead_letter(delivery, spec, exc, attempt)
        extra["message_id"] = message.message_id
        span.set_attribute("messaging.message.id", message.message_id)
        started = time.perf_counter()
        try:
            if processed is not None and await processed.already_processed(
                spec.name, message.message_id
            ):
                log.info("duplicate delivery skipped", extra=extra)
                await delivery.ack()
                return metrics.DUPLICATE
            try:
                await handler(message)
            finally:
                metrics.HANDLER_DURATION.labels(spec.name).observe(time.perf_counter() - started)
            if processed is not None:
                await processed.mark_processed(spec.name, message.message_id)
        except Poison as exc:
            _mark_failed(span, exc)
            log.error("poison message, dead-lettering", extra={**extra, "error": describe(exc)})
            return await _dead_letter(delivery, spec, exc, attempt)
        except Exception as exc:
            _mark_failed(span, exc)
            return await _retry_or_dead_letter(delivery, spec, exc, attempt, extra)
        await delivery.ack()
        return metrics.OK


def _mark_failed(span: trace.Span, exc: Exception) -> None:
    span.record_exception(exc)
    span.set_status(trace.Status(trace.StatusCode.ERROR, describe(exc)))


async def _retry_or_dead_letter(
    delivery: Delivery, spec: QueueSpec, exc: Exception, attempt: int, extra: dict[str, object]
) -> str:
    # A deliberate Retry needs no stack trace; an unexpected exception does.
    exc_info = None if isinstance(exc, Retry) else exc
    if attempt >= spec.max_attempts or not spec.retry_delays:
        log.error(
            "out of attempts, dead-lettering",
            extra={**extra, "error": describe(exc)},
            exc_info=exc_info,
        )
        return await _dead_letter(delivery, spec, exc, attempt)
    requested = exc.delay if isinstance(exc, Retry) else None
    tier = topology.retry_tier(spec, attempt, requested)
    headers = copy_headers(delivery.headers)
    headers[ATTEMPT] = attempt + 1
    headers[ROUTING_KEY] = original_routing_key(delivery)
    headers[ERROR] = describe(exc)
    log.warning(
        "handler failed, retrying later",
        extra={**extra, "error": describe(exc), "delay": spec.retry_delays[tier]},
        exc_info=exc_info,
    )
    if not await _forward(delivery, spec.retry_queue(tier), headers, extra):
        return metrics.REQUEUED
    return metrics.RETRIED


async def _dead_letter(delivery: Delivery, spec: QueueSpec, exc: Exception, attempt: int) -> str:
    headers = copy_headers(delivery.headers)
    headers[ROUTING_KEY] = original_routing_key(delivery)
    headers[ERROR] = describe(exc)
    headers[ATTEMPTS] = attempt
    headers[FAILED_AT] = datetime.now(UTC).isoformat()
    extra: dict[str, object] = {"queue": spec.name, "attempt": attempt}
    if not await _forward(delivery, spec.dead_letter_queue, headers, extra):
        return metrics.REQUEUED
    metrics.DEAD_LETTERED.labels(spec.name).inc()
    return metrics.DEAD_LETTERED_OUTCOME


async def _forward(
    delivery: Delivery, queue: str, headers: dict[str, object], extra: dict[str, object]
) -> bool:
    """Copy to `queue` then ack; on failure requeue the original instead (never drop)."""
    try:
        await delivery.forward(queue, headers)
    except Exception as exc:
        log.error(
            "could not publish copy, requeueing original",
            extra={**extra, "target": queue, "error": describe(exc)},
        )
        await asyncio.sleep(FORWARD_FAILURE_PAUSE)
        await delivery.requeue()
        return False
    await delivery.ack()
    return True
