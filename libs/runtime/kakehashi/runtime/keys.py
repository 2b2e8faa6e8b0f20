"""The encryption key for secrets at rest: configured, or ephemeral where nothing persists."""

from __future__ import annotations

import base64
import logging

from kakehashi.runtime.settings import Settings
from kakehashi.store import KEY_ENV, KEY_FILE_ENV, generate_key, load_key

log = logging.getLogger(__name__)


class ConfigurationError(Exception):
    """The configuration cannot work; the message says what to set."""


def resolve_key(settings: Settings) -> bytes:
    """The configured key; without one, an ephemeral key unless data outlives the process.

    With a real MongoDB an ephemeral key would make every stored secret unreadable after a
    restart, so that is refused instead.
    """
    env: dict[str, str] = {}
    if settings.encryption_key is not None:
        env[KEY_ENV] = settings.encryption_key.get_secret_value()
    if settings.encryption_key_file:
        env[KEY_FILE_ENV] = settings.encryption_key_file
    if env:
        return load_key(env)
    if settings.mongodb_url and not settings.mongodb_url.startswith("memory://"):
        raise ConfigurationError(
            f"no encryption key configured: set {KEY_ENV} (base64 of 32 bytes) or "
            f"{KEY_FILE_ENV}, or mount it as `encryption_key` in the secrets directory; "
            "it is required with KAKEHASHI_MONGODB_URL"
        )
    log.warning(
        "no encryption key configured: using an ephemeral one; secrets stored now are "
        "unreadable after a restart (fine with the in-memory store)"
    )
    return base64.b64decode(generate_key())
