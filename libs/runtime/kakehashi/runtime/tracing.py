"""OpenTelemetry: a TracerProvider named after the service, OTLP export when configured."""

from __future__ import annotations

import importlib
import logging
import warnings

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from kakehashi.runtime.settings import Settings

log = logging.getLogger(__name__)

# (module, instrumentor class): each is optional, a failure is logged and skipped.
INSTRUMENTATIONS = (
    ("opentelemetry.instrumentation.aiohttp_client", "AioHttpClientInstrumentor"),
    ("opentelemetry.instrumentation.aiohttp_server", "AioHttpServerInstrumentor"),
    ("opentelemetry.instrumentation.aio_pika", "AioPikaInstrumentor"),
    ("opentelemetry.instrumentation.pymongo", "PymongoInstrumentor"),
)

_provider: TracerProvider | None = None


def setup_tracing(settings: Settings) -> TracerProvider:
    """Install the global TracerProvider and the instrumentations once per process."""
    global _provider
    if _provider is not None:
        return _provider
    resource = Resource.create(
        {"service.name": settings.service_name, "service.namespace": "kakehashi"}
    )
    provider = TracerProvider(resource=resource)
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    _provider = provider
    instrument(provider)
    return provider


def instrument(
    provider: TracerProvider, instrumentations: tuple[tuple[str, str], ...] = INSTRUMENTATIONS
) -> list[str]:
    """Switch on each instrumentation that loads; return the names now active."""
    active = []
    for module, name in instrumentations:
        try:
            instrumentor = getattr(importlib.import_module(module), name)()
            if not instrumentor.is_instrumented_by_opentelemetry:
                with warnings.catch_warnings():
                    # aiohttp frowns on the server instrumentation subclassing Application.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    instrumentor.instrument(tracer_provider=provider)
            active.append(name)
        except Exception as exc:  # an optional instrumentation must never stop a service
            log.warning(
                "tracing instrumentation unavailable",
                extra={"instrumentation": name, "error": repr(exc)},
            )
    return active


def shutdown_tracing() -> None:
    """Flush buffered spans (best effort, at exit)."""
    if _provider is not None:
        _provider.shutdown()
