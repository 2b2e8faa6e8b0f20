"""The envelope every message on the bus carries.

`message_id` is the idempotency key: a consumer that has already processed a message id
does nothing the second time. Producers derive it deterministically where a redelivery or
a retried publish must collapse into one message (see `deterministic_id`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1
_NAMESPACE = uuid.UUID("5b4c7a52-7f0e-4d3c-9a43-6b616b656861")


def new_id() -> str:
    return uuid.uuid4().hex


def deterministic_id(*parts: str) -> str:
    """A stable id from the parts, so the same logical message always gets the same id."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class Message(BaseModel):
    """Base of every message kind. Subclasses set `KIND`, which is also the routing key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    KIND: ClassVar[str] = ""

    message_id: str = Field(default_factory=new_id, min_length=1, max_length=128)
    correlation_id: str = Field(default_factory=new_id, max_length=128)
    causation_id: str | None = Field(default=None, max_length=128)
    tenant_id: str = Field(min_length=1, max_length=128)
    occurred_at: datetime = Field(default_factory=utcnow)
    schema_version: int = SCHEMA_VERSION

    @property
    def routing_key(self) -> str:
        return self.KIND

    def caused(self, **overrides: object) -> dict[str, object]:
        """Envelope fields for a message caused by this one (same correlation, tenant)."""
        fields: dict[str, object] = {
            "correlation_id": self.correlation_id,
            "causation_id": self.message_id,
            "tenant_id": self.tenant_id,
        }
        fields.update(overrides)
        return fields

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, body: bytes) -> Self:
        return cls.model_validate_json(body)
