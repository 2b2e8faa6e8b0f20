"""W3C trace context across the bus: inject on publish, extract on consume (API only)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.context import Context

TRACER_NAME = "kakehashi.bus"


def tracer(provider: trace.TracerProvider | None) -> trace.Tracer:
    # Resolved per call so a provider installed after the bus was built is still used.
    return trace.get_tracer(TRACER_NAME, tracer_provider=provider)


def inject_headers(headers: dict[str, object]) -> None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    headers.update(carrier)


def extract_context(headers: Mapping[str, object]) -> Context:
    carrier = {k: v.decode() if isinstance(v, bytes) else v for k, v in headers.items()}
    return propagate.extract({k: v for k, v in carrier.items() if isinstance(v, str)})
