"""Tracing set-up survives a broken instrumentation; the key is configured or safely ephemeral."""

from __future__ import annotations

import base64
import logging

import pytest
from opentelemetry.sdk.trace import TracerProvider

from kakehashi.runtime.keys import ConfigurationError, resolve_key
from kakehashi.runtime.settings import Settings
from kakehashi.runtime.tracing import instrument
from kakehashi.store import EncryptionKeyError

KEY = bytes(range(32))
KEY_B64 = base64.b64encode(KEY).decode()


def test_a_missing_instrumentation_is_logged_and_skipped(caplog):
    # Only broken entries: real instrumentations would patch libraries for the whole test run.
    # The service process tests check that every real one loads.
    broken = (("kakehashi.no_such_module", "Nope"), ("opentelemetry.trace", "NoSuchClass"))
    with caplog.at_level(logging.WARNING):
        assert instrument(TracerProvider(), broken) == []
    assert caplog.text.count("tracing instrumentation unavailable") == 2


def test_key_from_settings_value_or_file(tmp_path):
    assert resolve_key(Settings(encryption_key=KEY_B64)) == KEY
    key_file = tmp_path / "key"
    key_file.write_text(KEY_B64 + "\n")
    assert resolve_key(Settings(encryption_key_file=str(key_file))) == KEY


def test_without_a_key_the_in_memory_store_gets_an_ephemeral_one(caplog):
    with caplog.at_level(logging.WARNING):
        key = resolve_key(Settings())
    assert len(key) == 32
    assert "ephemeral" in caplog.text


def test_without_a_key_a_real_database_is_refused():
    with pytest.raises(ConfigurationError, match="KAKEHASHI_ENCRYPTION_KEY"):
        resolve_key(Settings(mongodb_url="mongodb://db:27017/"))


def test_a_malformed_key_is_refused_without_echoing_it():
    with pytest.raises(EncryptionKeyError) as exc:
        resolve_key(Settings(encryption_key="not-a-key!"))
    assert "not-a-key" not in str(exc.value)
