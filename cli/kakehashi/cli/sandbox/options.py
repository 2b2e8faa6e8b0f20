"""Where the sandbox listens and what it connects to: flags, then KAKEHASHI_SANDBOX_* env."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from kakehashi.runtime import DEFAULT_PORTS

GRAPH_SIM_PORT = 8443
GAROON_SIM_PORT = 8081
RABBITMQ_DEFAULT = "amqp://guest:guest@127.0.0.1:5672/"
ENV = "KAKEHASHI_SANDBOX_"


@dataclass
class SandboxOptions:
    host: str = "127.0.0.1"
    graph_port: int = GRAPH_SIM_PORT
    garoon_port: int = GAROON_SIM_PORT
    service_ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    state_dir: Path = Path(".kakehashi")
    manifest: Path | None = None  # None: state_dir / sandbox.json
    # None: RabbitMQ if it answers on 127.0.0.1:5672, else the in-memory bus.
    amqp_url: str | None = None
    mongodb_url: str | None = None  # None: in-memory store
    users: int = 4
    # Each service in its own `kakehashi service NAME` process (needs a shared store: MongoDB,
    # else the sandbox serves its in-memory MongoDB simulator).
    processes: bool = False
    # False: simulators and seed only, no service (tests of verify and of the simulators).
    services: bool = True
    log_level: str = "WARNING"

    @property
    def manifest_path(self) -> Path:
        return self.manifest or self.state_dir / "sandbox.json"

    @classmethod
    def ephemeral(cls, state_dir: Path) -> SandboxOptions:
        """Every port chosen by the OS (tests): nothing collides with `make run`."""
        ports = {name: free_port() for name in DEFAULT_PORTS}
        return cls(graph_port=0, garoon_port=0, service_ports=ports, state_dir=state_dir)


def free_port(host: str = "127.0.0.1") -> int:
    """A port free right now. Services need to know each other's ports before they bind, so
    port 0 alone is not enough for them (the simulators do use port 0)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(ENV + name)
    return int(raw) if raw else default


def rabbitmq_answers(host: str = "127.0.0.1", port: int = 5672, timeout: float = 0.3) -> bool:
    """A TCP connect only: enough to prefer the broker over the in-memory bus."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def choose_amqp_url(configured: str | None) -> str | None:
    if configured:
        return configured
    env = os.environ.get("KAKEHASHI_AMQP_URL")
    if env:
        return env
    return RABBITMQ_DEFAULT if rabbitmq_answers() else None
