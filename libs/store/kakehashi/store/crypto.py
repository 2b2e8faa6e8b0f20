"""AES-GCM for secrets at rest, with the key from the environment or a mounted file."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kakehashi.store.errors import DecryptionError, EncryptionKeyError

KEY_ENV = "KAKEHASHI_ENCRYPTION_KEY"
KEY_FILE_ENV = "KAKEHASHI_ENCRYPTION_KEY_FILE"
KEY_BYTES = 32
_NONCE_BYTES = 12


def generate_key() -> str:
    """A fresh key, base64-encoded, ready for KAKEHASHI_ENCRYPTION_KEY or a Secret file."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def load_key(env: Mapping[str, str] = os.environ) -> bytes:
    """The 32-byte key from KAKEHASHI_ENCRYPTION_KEY (base64) or KAKEHASHI_ENCRYPTION_KEY_FILE."""
    if value := env.get(KEY_ENV, "").strip():
        source = KEY_ENV
    elif path := env.get(KEY_FILE_ENV, "").strip():
        source = f"{KEY_FILE_ENV} ({path})"
        try:
            value = Path(path).read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise EncryptionKeyError(f"cannot read {source}: {exc.__class__.__name__}") from exc
    else:
        raise EncryptionKeyError(
            f"no encryption key: set {KEY_ENV} (base64 of 32 bytes) or {KEY_FILE_ENV}; "
            "generate one with `kakehashi.store.generate_key()`"
        )
    try:
        key = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        # Never echo the value: it is (almost) the key.
        raise EncryptionKeyError(f"{source} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise EncryptionKeyError(f"{source} must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, stored with each blob to name a key mismatch."""
    return hashlib.sha256(b"kakehashi-key-id:" + key).hexdigest()[:12]


class SecretBox:
    """Encrypts one secret value; associated data binds the blob to where it is stored."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise EncryptionKeyError(f"encryption key must be {KEY_BYTES} bytes, got {len(key)}")
        self._aead = AESGCM(key)
        self.key_id = key_id(key)

    def encrypt(self, plaintext: str, where: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext.encode("utf-8"), where.encode())

    def decrypt(self, blob: bytes, where: str, *, blob_key_id: str | None) -> str:
        if blob_key_id is not None and blob_key_id != self.key_id:
            raise DecryptionError(
                f"secret at {where} was encrypted with key {blob_key_id}, but the loaded key is "
                f"{self.key_id}: check {KEY_ENV} / {KEY_FILE_ENV}"
            )
        nonce, ciphertext = blob[:_NONCE_BYTES], blob[_NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, ciphertext, where.encode()).decode("utf-8")
        except InvalidTag as exc:
            raise DecryptionError(
                f"secret at {where} failed authentication: wrong key, or the stored value was "
                "altered or copied from another field"
            ) from exc
