"""Typed errors the store raises; callers never need to catch pymongo's own."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every store error."""


class DuplicateKey(StoreError):
    """A write would break a unique index (e.g. a second mapping for the same Garoon event)."""

    def __init__(self, collection: str, detail: str) -> None:
        super().__init__(f"duplicate key in {collection}: {detail}")
        self.collection = collection


class StoreUnavailable(StoreError):
    """The database cannot be reached (readiness should fail with this message)."""


class EncryptionKeyError(StoreError):
    """The encryption key is missing or malformed."""


class DecryptionError(StoreError):
    """A stored secret cannot be decrypted: wrong key, or the blob was tampered with or moved."""
