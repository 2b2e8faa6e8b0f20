"""docker-compose.yml: checked statically (no Docker engine needed)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy.facts import (
    DRAIN_SECONDS,
    ROOT,
    SECRETS_DIR,
    SERVICE_PORTS,
    duration_seconds,
    load_yaml,
)

COMPOSE_PATH = ROOT / "docker-compose.yml"
SECRETISH = re.compile(r"(PASSWORD|PASS|SECRET|TOKEN|_KEY)$")
INTERPOLATION = re.compile(r"^\$\{[A-Z0-9_]+(:?[?-][^}]*)?\}$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = load_yaml(COMPOSE_PATH)
    assert isinstance(data, dict)
    return data


def _service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    services = compose["services"]
    assert name in services, f"compose has no service {name!r}"
    svc = services[name]
    assert isinstance(svc, dict)
    return svc


def _env(svc: dict[str, Any]) -> dict[str, str]:
    env = svc.get("environment", {})
    assert isinstance(env, dict), "use the mapping form of environment"
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def test_compose_parses_and_has_infrastructure(compose: dict[str, Any]) -> None:
    mongo = _service(compose, "mongo")
    rabbit = _service(compose, "rabbitmq")
    assert str(mongo["image"]).startswith("mongo:")
    assert rabbit["image"] == "rabbitmq:3.13-management"
    for svc in (mongo, rabbit):
        assert svc["healthcheck"]["test"], "infrastructure needs a healthcheck"
    assert any("mongosh" in str(part) for part in mongo["healthcheck"]["test"])
    assert any("rabbitmq-diagnostics" in str(part) for part in rabbit["healthcheck"]["test"])


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_every_service_runs_from_the_one_image(compose: dict[str, Any], name: str) -> None:
    svc = _service(compose, name)
    assert svc["command"] == ["service", name]
    assert svc["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    images = {str(_service(compose, other)["image"]) for other in SERVICE_PORTS}
    assert len(images) == 1, f"one image for every service, found {images}"
    assert "profiles" not in svc, "services run by default, not only in a profile"


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_every_service_checks_readiness_on_its_port(compose: dict[str, Any], name: str) -> None:
    svc = _service(compose, name)
    port = SERVICE_PORTS[name]
    assert _env(svc)["KAKEHASHI_HTTP_PORT"] == str(port)
    test_cmd = " ".join(str(part) for part in svc["healthcheck"]["test"])
    assert f"127.0.0.1:{port}/readyz" in test_cmd


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_every_service_waits_for_healthy_infrastructure(compose: dict[str, Any], name: str) -> None:
    depends = _service(compose, name)["depends_on"]
    assert isinstance(depends, dict), "use the long form to require healthy dependencies"
    for dependency in ("mongo", "rabbitmq"):
        assert depends[dependency]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_every_service_gets_longer_than_the_drain_to_stop(
    compose: dict[str, Any], name: str
) -> None:
    svc = _service(compose, name)
    assert duration_seconds(svc["stop_grace_period"]) > DRAIN_SECONDS
    assert svc.get("stop_signal", "SIGTERM") == "SIGTERM"


@pytest.mark.parametrize("name", sorted(SERVICE_PORTS))
def test_connection_settings_and_encryption_key(compose: dict[str, Any], name: str) -> None:
    svc = _service(compose, name)
    env = _env(svc)
    assert env["KAKEHASHI_AMQP_URL"].startswith("amqp://")
    assert "@rabbitmq:5672/" in env["KAKEHASHI_AMQP_URL"]
    assert env["KAKEHASHI_MONGODB_URL"].startswith("mongodb://")
    assert "@mongo:27017/" in env["KAKEHASHI_MONGODB_URL"]
    assert "KAKEHASHI_ENCRYPTION_KEY" not in env, "the key comes from a secret file"
    key_file = env["KAKEHASHI_ENCRYPTION_KEY_FILE"]
    assert key_file.startswith(SECRETS_DIR + "/")
    targets = {s["target"]: s["source"] for s in svc["secrets"]}
    assert key_file in targets
    assert targets[key_file] in compose["secrets"]


def test_the_encryption_key_secret_is_read_from_a_file(compose: dict[str, Any]) -> None:
    for name, spec in compose["secrets"].items():
        assert set(spec) == {"file"}, f"secret {name} must come from a file"


def test_no_literal_secrets(compose: dict[str, Any]) -> None:
    problems = []
    for name, svc in compose["services"].items():
        for key, value in _env(svc).items():
            if SECRETISH.search(key) and value and not INTERPOLATION.match(value):
                problems.append(f"{name}: {key} has a literal value")
            for userinfo in re.findall(r"://([^@/]+)@", value):
                _, _, password = userinfo.partition(":")
                if password and not INTERPOLATION.match(password):
                    problems.append(f"{name}: {key} has a literal password")
        if "env_file" in svc:
            problems.append(f"{name}: env_file hides where values come from; use ${{VAR:?}}")
    assert not problems, "\n".join(problems)
    # the required passwords refuse to start when unset
    text = COMPOSE_PATH.read_text("utf-8")
    for var in ("KAKEHASHI_RABBITMQ_PASSWORD", "KAKEHASHI_MONGO_PASSWORD", "KAKEHASHI_ADMIN_TOKEN"):
        assert re.search(r"\$\{" + var + r":\?", text), f"{var} must be required (${{{var}:?...}})"


def test_only_the_ingress_is_published_beyond_localhost(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            spec = str(port)
            if name == "ingress":
                continue
            assert spec.startswith("127.0.0.1:"), f"{name} publishes {spec} beyond localhost"


def test_services_are_hardened(compose: dict[str, Any]) -> None:
    for name in SERVICE_PORTS:
        svc = _service(compose, name)
        assert svc["read_only"] is True
        assert "ALL" in svc["cap_drop"]
        assert "user" not in svc or str(svc["user"]) not in {"0", "root"}


def test_sandbox_profile_runs_both_simulators(compose: dict[str, Any]) -> None:
    graph = _service(compose, "graph_sim")
    garoon = _service(compose, "garoon_sim")
    for svc, which, port in ((graph, "graph", "8443"), (garoon, "garoon", "8081")):
        command = svc["command"]
        assert command[:2] == ["sim", which]
        assert command[command.index("--port") + 1] == port
        # the simulators bind 127.0.0.1 by default: unreachable from the other containers
        assert command[command.index("--host") + 1] != "127.0.0.1"
        assert svc["profiles"] == ["sandbox"]
        assert svc["image"] == _service(compose, "ingress")["image"]
    # the services can trust the Graph simulator's test CA, which it writes to a shared volume
    state_dir = graph["command"][graph["command"].index("--state-dir") + 1]
    assert any(str(v).endswith(":" + state_dir) for v in graph["volumes"])
    ingress = _service(compose, "ingress")
    assert any(state_dir in str(v) and str(v).endswith(":ro") for v in ingress["volumes"])
    assert _env(ingress)["KAKEHASHI_CA_FILE"] == "${KAKEHASHI_CA_FILE:-}", (
        "unset outside the sandbox"
    )
    profiled = {n for n, s in compose["services"].items() if "profiles" in s}
    assert profiled == {"graph_sim", "garoon_sim"}


def test_env_example_lists_every_required_variable() -> None:
    example = (ROOT / "deploy" / "compose.env.example").read_text("utf-8")
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", COMPOSE_PATH.read_text("utf-8")))
    assert required
    for var in required:
        assert re.search(rf"^{var}=$", example, re.MULTILINE), (
            f"{var} missing (empty) in the example"
        )
