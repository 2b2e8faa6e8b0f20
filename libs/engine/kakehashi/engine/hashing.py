"""Content hash over synced fields only, after normalisation (volatile fields dropped)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from kakehashi.contracts.event import NormalizedEvent, Person

VOLATILE = frozenset({"versions"})  # changeKey, updatedAt, modification times


def _utc(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


def _dump(value: Any) -> Any:
    if isinstance(value, Person) and value.linked:
        # A linked user's name is each side's directory entry (Garoon: 佐藤 花子, Outlook:
        # Sato Hanako), not content: neither side lets us write it, so a difference is no edit.
        return value.model_dump(mode="json", exclude={"name"})
    return value.model_dump(mode="json") if hasattr(value, "model_dump") else value


def canonical(ev: NormalizedEvent, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """JSON-ready synced fields; instants in UTC so an offset change is no change."""
    names = fields or tuple(f for f in NormalizedEvent.model_fields if f not in VOLATILE)
    out: dict[str, Any] = {}
    for name in names:
        value = getattr(ev, name)
        if isinstance(value, datetime):
            out[name] = _utc(value)
        elif hasattr(value, "model_dump"):
            out[name] = _dump(value)
        elif isinstance(value, tuple):
            out[name] = [_dump(v) for v in value]
        else:
            out[name] = value
    return out


def content_hash(ev: NormalizedEvent | None) -> str | None:
    if ev is None:
        return None
    text = json.dumps(canonical(ev), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
