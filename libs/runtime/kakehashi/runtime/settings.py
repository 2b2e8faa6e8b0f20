"""Configuration from the environment (prefix KAKEHASHI_) and Kubernetes secret files."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SecretsSettingsSource,
    SettingsConfigDict,
)

ENV_PREFIX = "KAKEHASHI_"
DEFAULT_SECRETS_DIR = Path("/run/secrets/kakehashi")

# Each service listens on its own port by default, so `kakehashi up` can run them side by side.
DEFAULT_PORTS: dict[str, int] = {
    "ingress": 8080,
    "admin": 8090,
    "garoon_connector": 9101,
    "graph_connector": 9102,
    "translator": 9103,
    "renewal": 9104,
}

_URL_PASSWORD = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s]*:)[^@\s]+@")


def mask_url(url: str | None) -> str | None:
    """The URL with the password of its userinfo replaced by ***."""
    return None if url is None else _URL_PASSWORD.sub(r"\g<head>***@", url)


def secrets_dir() -> Path | None:
    """KAKEHASHI_SECRETS_DIR when set (it must exist), else the Kubernetes mount when present."""
    configured = os.environ.get(f"{ENV_PREFIX}SECRETS_DIR")
    if configured:
        path = Path(configured)
        if not path.is_dir():
            raise ValueError(f"{ENV_PREFIX}SECRETS_DIR={configured} is not a directory")
        return path
    return DEFAULT_SECRETS_DIR if DEFAULT_SECRETS_DIR.is_dir() else None


class Settings(BaseSettings):
    """Everything a service reads from its environment. Secrets are SecretStr or masked URLs."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="ignore", case_sensitive=False, frozen=True
    )

    service_name: str = "kakehashi"
    amqp_url: str | None = None  # None: in-memory bus (one process only)
    mongodb_url: str | None = None  # None: in-memory store (lost at exit)
    encryption_key: SecretStr | None = None
    encryption_key_file: str | None = None
    http_host: str = "0.0.0.0"
    # None: the service's default from DEFAULT_PORTS (filled in by the validator below).
    http_port: int | None = Field(default=None, ge=0, le=65535)
    # Per-service ports when one process runs several services (`kakehashi up`).
    http_ports: dict[str, int] = Field(default_factory=dict)
    public_base_url: str | None = None
    log_level: str = "INFO"
    log_format: Literal["json", "text"] = "json"
    otlp_endpoint: str | None = None
    drain_timeout: float = Field(default=20.0, gt=0)
    admin_token: SecretStr | None = None
    ca_file: str | None = None
    repeat_window_days: int = Field(default=365, ge=1)
    # Test-only: every message handler sleeps this long first, to make drains observable.
    test_handler_delay: float = Field(default=0.0, ge=0)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _default_port(self) -> Settings:
        if self.http_port is None and self.service_name in DEFAULT_PORTS:
            object.__setattr__(self, "http_port", self.port_for(self.service_name))
        return self

    def port_for(self, service: str) -> int:
        """Port of one service: http_ports[service], else http_port when it runs alone, else
        its default."""
        if service in self.http_ports:
            return self.http_ports[service]
        if self.http_port is not None and service == self.service_name:
            return self.http_port
        return DEFAULT_PORTS.get(service, 8080)

    def safe_dump(self) -> dict[str, Any]:
        """The settings for a start-up log line: secrets masked, passwords cut out of URLs."""
        data = self.model_dump(mode="json")
        for name in ("amqp_url", "mongodb_url", "otlp_endpoint", "public_base_url"):
            data[name] = mask_url(getattr(self, name))
        return data

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            if name in {"amqp_url", "mongodb_url", "otlp_endpoint", "public_base_url"}:
                value = mask_url(value)
            yield name, value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        folder = secrets_dir()
        if folder is not None:
            # A mounted Secret may name its files `KAKEHASHI_ADMIN_TOKEN` or just `admin_token`.
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=folder))
            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=folder, env_prefix=""))
        return tuple(sources)


def load_settings(service_name: str, **overrides: Any) -> Settings:
    """Settings for one service (or "kakehashi" for several in one process)."""
    return Settings(service_name=service_name, **overrides)
