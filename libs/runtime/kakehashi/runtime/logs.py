"""One JSON object per log line, with trace ids and a guard that redacts secrets."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

from opentelemetry import trace

from kakehashi.runtime.settings import Settings, mask_url

REDACTED = "***"
# Any key containing one of these (case and separators ignored) has its value replaced.
_SECRET_WORDS = (
    "secret",
    "password",
    "passwd",
    "token",
    "authorization",
    "clientstate",
    "apikey",
    "encryptionkey",
    "privatekey",
    "cookie",
)
# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def is_secret_key(key: str) -> bool:
    flat = key.lower().replace("_", "").replace("-", "")
    return any(word in flat for word in _SECRET_WORDS)


def redact(value: Any, key: str = "") -> Any:
    """A copy of value safe to log: secret-named keys masked, URL passwords cut out."""
    if key and is_secret_key(key):
        return REDACTED
    if isinstance(value, Mapping):
        return {str(k): redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return mask_url(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return mask_url(str(value))


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": mask_url(record.getMessage()),
            "service": self.service,
        }
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            entry["trace_id"] = format(span.trace_id, "032x")
            entry["span_id"] = format(span.span_id, "016x")
        for key, value in _extras(record).items():
            entry.setdefault(key, redact(value, key))
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people at a terminal: `time level logger: msg key=value ...`, same redaction."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = mask_url(super().format(record)) or ""
        extras = " ".join(f"{k}={redact(v, k)}" for k, v in _extras(record).items())
        return f"{line} {extras}" if extras else line


class _BrokerRetryNoise(logging.Filter):
    """Drops aiormq's error line for each failed connection attempt: the host already reports
    the outage (first attempt, then every 20th) and the watcher reports loss and recovery."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "creating transport" not in str(record.msg)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Replace the root handlers with one that writes to stderr (idempotent)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter: logging.Formatter = (
        JsonFormatter(settings.service_name) if settings.log_format == "json" else TextFormatter()
    )
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # Library chatter at debug level would drown our own lines.
    for noisy in ("pamqp", "pymongo", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, root.level))
    # aio-pika narrates every reconnect attempt at info; the host's own lines say it once.
    for chatty in ("aio_pika", "aiormq"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, root.level))
    connection_log = logging.getLogger("aiormq.connection")
    if not any(isinstance(f, _BrokerRetryNoise) for f in connection_log.filters):
        connection_log.addFilter(_BrokerRetryNoise())
