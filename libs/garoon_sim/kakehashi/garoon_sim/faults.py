"""Fault injection rules and the request log."""

from __future__ import annotations

import fnmatch
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass
class FaultRule:
    """Applies to requests whose path (below the Garoon base, e.g. `/api/v1/schedule/events*`)
    matches the glob `path`, optionally one HTTP method and/or one SOAP action."""

    path: str = "*"
    method: str | None = None
    soap_action: str | None = None
    status: int | None = None  # None: only add latency
    latency_ms: int = 0
    count: int | None = None  # how many requests it hits; None = until removed
    retry_after: int | None = None

    def matches(self, method: str, path: str, soap_action: str | None) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.method and self.method.upper() != method.upper():
            return False
        if self.soap_action and self.soap_action != soap_action:
            return False
        return fnmatch.fnmatchcase(path, self.path)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        return cls(
            path=str(data.get("path", "*")),
            method=data.get("method"),
            soap_action=data.get("soapAction"),
            status=data.get("status"),
            latency_ms=int(data.get("latencyMs", 0)),
            count=data.get("count"),
            retry_after=data.get("retryAfter"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "method": self.method,
            "soapAction": self.soap_action,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "count": self.count,
            "retryAfter": self.retry_after,
        }


@dataclass
class RequestLog:
    entries: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)

    def record(self, endpoint: str, method: str, path: str, status: int, user: str | None) -> None:
        self.counts[endpoint] += 1
        self.entries.append(
            {
                "at": datetime.now(UTC).isoformat(),
                "endpoint": endpoint,
                "method": method,
                "path": path,
                "status": status,
                "user": user,
            }
        )

    def clear(self) -> None:
        self.entries.clear()
        self.counts.clear()
