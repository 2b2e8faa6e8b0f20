"""Reading and replaying dead letters; shared by both buses so what they report matches."""

from __future__ import annotations

import json
from collections.abc import Mapping

from kakehashi.bus import pipeline
from kakehashi.bus.api import DeadLetterSample
from kakehashi.contracts import routing

# The failure bookkeeping a replayed copy must shed: it starts again at attempt 1.
_FAILURE_HEADERS = (pipeline.ATTEMPT, pipeline.ATTEMPTS, pipeline.ERROR, pipeline.FAILED_AT)


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return value if isinstance(value, str) and value else None


def original_key(routing_key: str, headers: Mapping[str, object], type_: str | None) -> str:
    """The key the message was first published with.

    Our own dead-lettering records it in a header; a message the broker dead-lettered
    (delivery limit) carries it in `x-death`; the publish also stored it as the AMQP type.
    """
    found = _text(headers.get(pipeline.ROUTING_KEY))
    if found:
        return found
    deaths = headers.get("x-death")
    if isinstance(deaths, list) and deaths and isinstance(deaths[0], Mapping):
        keys = deaths[0].get("routing-keys")
        if isinstance(keys, list) and keys and (key := _text(keys[0])):
            return key
    return _text(type_) or routing_key


def sample(
    routing_key: str,
    body: bytes,
    headers: Mapping[str, object],
    *,
    message_id: str | None = None,
    type_: str | None = None,
) -> DeadLetterSample:
    key = original_key(routing_key, headers, type_)
    try:
        model = routing.message_type_for(key)
        kind = model.KIND
    except KeyError:
        kind = ""
    fields: dict[str, object] = {}
    try:
        # Undecodable bodies are dead letters too; describe them as far as possible.
        loaded = json.loads(body)
        if isinstance(loaded, dict):
            fields = loaded
    except ValueError:
        pass
    try:
        attempts = int(str(headers.get(pipeline.ATTEMPTS, 0)))
    except ValueError:
        attempts = 0
    return DeadLetterSample(
        message_id=_text(fields.get("message_id")) or message_id,
        kind=kind,
        routing_key=key,
        tenant_id=_text(fields.get("tenant_id")),
        error=_text(headers.get(pipeline.ERROR)) or "",
        attempts=attempts,
        dead_lettered_at=_text(headers.get(pipeline.FAILED_AT)),
    )


def replay_headers(
    routing_key: str, headers: Mapping[str, object], type_: str | None
) -> dict[str, object]:
    """Headers of the copy put back on the work queue: broker and failure bookkeeping gone,
    the original routing key kept so the consumer decodes it as before."""
    out = {k: v for k, v in pipeline.copy_headers(headers).items() if k not in _FAILURE_HEADERS}
    out[pipeline.ROUTING_KEY] = original_key(routing_key, headers, type_)
    return out
