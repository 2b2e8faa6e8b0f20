"""Settings come from KAKEHASHI_* variables and mounted secret files; secrets never show."""

from __future__ import annotations

import base64

import pytest

from kakehashi.runtime.settings import DEFAULT_PORTS, Settings, load_settings

KEY = base64.b64encode(b"k" * 32).decode()


def test_defaults_without_configuration():
    s = load_settings("translator")
    assert s.amqp_url is None
    assert s.mongodb_url is None
    assert s.http_host == "0.0.0.0"
    assert s.http_port == 9103
    assert s.drain_timeout == 20.0
    assert s.log_format == "json"


@pytest.mark.parametrize(("service", "port"), sorted(DEFAULT_PORTS.items()))
def test_each_service_has_its_own_default_port(service, port):
    assert load_settings(service).http_port == port


def test_values_from_environment(monkeypatch):
    monkeypatch.setenv("KAKEHASHI_AMQP_URL", "amqp://u:p@rabbit:5672/")
    monkeypatch.setenv("KAKEHASHI_HTTP_PORT", "18080")
    monkeypatch.setenv("KAKEHASHI_LOG_LEVEL", "debug")
    monkeypatch.setenv("KAKEHASHI_DRAIN_TIMEOUT", "5")
    monkeypatch.setenv("KAKEHASHI_HTTP_PORTS", '{"admin": 18090}')
    s = load_settings("ingress")
    assert s.amqp_url == "amqp://u:p@rabbit:5672/"
    assert s.http_port == 18080
    assert s.log_level == "DEBUG"
    assert s.drain_timeout == 5.0
    assert s.port_for("admin") == 18090
    assert s.port_for("renewal") == DEFAULT_PORTS["renewal"]


def test_bad_value_is_rejected_with_the_field_name(monkeypatch):
    monkeypatch.setenv("KAKEHASHI_LOG_LEVEL", "loud")
    with pytest.raises(ValueError, match="log_level"):
        load_settings("ingress")


@pytest.mark.parametrize("file_name", ["admin_token", "KAKEHASHI_ADMIN_TOKEN"])
def test_secrets_from_mounted_files(monkeypatch, tmp_path, file_name):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / file_name).write_text("tok-123\n")
    (secrets / "encryption_key").write_text(KEY)
    monkeypatch.setenv("KAKEHASHI_SECRETS_DIR", str(secrets))
    s = load_settings("admin")
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == "tok-123"
    assert s.encryption_key is not None
    assert s.encryption_key.get_secret_value() == KEY


def test_environment_beats_secret_files(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "admin_token").write_text("from-file")
    monkeypatch.setenv("KAKEHASHI_SECRETS_DIR", str(secrets))
    monkeypatch.setenv("KAKEHASHI_ADMIN_TOKEN", "from-env")
    s = load_settings("admin")
    assert s.admin_token is not None
    assert s.admin_token.get_secret_value() == "from-env"


def test_missing_secrets_dir_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("KAKEHASHI_SECRETS_DIR", str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="KAKEHASHI_SECRETS_DIR"):
        load_settings("admin")


def test_secrets_do_not_appear_in_repr_or_dump():
    s = Settings(
        service_name="admin",
        amqp_url="amqp://kake:amqp-pw-1@rabbit:5672/",
        mongodb_url="mongodb://kake:mongo-pw-2@mongo:27017/kakehashi",
        encryption_key=KEY,
        admin_token="admin-tok-3",
    )
    for text in (repr(s), str(s), str(s.safe_dump())):
        for secret in ("amqp-pw-1", "mongo-pw-2", KEY, "admin-tok-3"):
            assert secret not in text
    assert "rabbit:5672" in repr(s)  # the rest of the URL is still useful
