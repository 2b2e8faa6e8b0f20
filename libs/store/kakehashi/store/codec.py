"""Model <-> stored document, generically: no field lists, so new model fields just persist.

- Every `SecretStr` anywhere in a model becomes an AES-GCM blob bound to (collection, path).
- Timezone-aware datetimes become BSON dates in UTC, to the millisecond (BSON's precision),
  so TTL indexes and range queries work; naive datetimes are kept as ISO text, unchanged.
- Other non-BSON values (date, enum, UUID, ...) are stored as pydantic's JSON form and parsed
  back by `model_validate`.
- Top-level keys starting with "_" other than `_id` are derived index keys the repository adds;
  they are dropped on read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, SecretBytes, SecretStr
from pydantic_core import to_jsonable_python

from kakehashi.store.backend import Document
from kakehashi.store.crypto import SecretBox

M = TypeVar("M", bound=BaseModel)

_ENC = "_enc"
_ENC_SCHEME = "aes-gcm-v1"


def bson_datetime(value: datetime) -> datetime:
    """An aware datetime as BSON stores it: UTC, millisecond precision."""
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


class Codec:
    def __init__(self, box: SecretBox, collection: str) -> None:
        self._box = box
        self._collection = collection

    def encode(self, model: BaseModel, **derived: Any) -> Document:
        raw = model.model_dump(mode="python")
        doc: Document = self._encode(raw, "")
        if "id" in doc:
            doc["_id"] = doc.pop("id")
        doc.update({f"_{name}": value for name, value in derived.items()})
        return doc

    def decode(self, doc: Mapping[str, Any], cls: type[M]) -> M:
        data = {k: v for k, v in doc.items() if not k.startswith("_")}
        if "_id" in doc and "id" in cls.model_fields:
            data["id"] = doc["_id"]
        return cls.model_validate(self._decode(data, ""))

    def value(self, value: Any, path: str = "") -> Any:
        """One value as stored at `path` (secrets are bound to it)."""
        return self._encode(value, path)

    def read_value(self, stored: Any, path: str = "") -> Any:
        """The inverse of `value`: secrets come back as plain text."""
        return self._decode(stored, path)

    def _encode(self, value: Any, path: str) -> Any:
        if isinstance(value, SecretStr | SecretBytes):
            secret = value.get_secret_value()
            text = secret.decode("utf-8") if isinstance(secret, bytes) else secret
            return {
                _ENC: _ENC_SCHEME,
                "kid": self._box.key_id,
                "ct": self._box.encrypt(text, self._where(path)),
            }
        if isinstance(value, Mapping):
            return {
                str(k): self._encode(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()
            }
        if isinstance(value, list | tuple | set | frozenset):
            return [self._encode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, datetime):
            return bson_datetime(value) if value.tzinfo is not None else value.isoformat()
        if isinstance(value, Enum):
            return to_jsonable_python(value.value)
        if value is None or isinstance(value, bool | int | float | bytes):
            return value
        if isinstance(value, str):
            return str.__str__(value)
        return to_jsonable_python(value)

    def _decode(self, value: Any, path: str) -> Any:
        if isinstance(value, Mapping):
            if value.get(_ENC) == _ENC_SCHEME:
                return self._box.decrypt(
                    bytes(value["ct"]), self._where(path), blob_key_id=value.get("kid")
                )
            return {k: self._decode(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._decode(v, f"{path}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, datetime):
            # Backends hand back their own UTC tzinfo classes; normalise to datetime.UTC.
            return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
        return value

    def _where(self, path: str) -> str:
        return f"{self._collection}:{path}"
