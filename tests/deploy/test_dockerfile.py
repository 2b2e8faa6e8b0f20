"""deploy/docker/Dockerfile and .dockerignore."""

from __future__ import annotations

import json
import re

import pytest

from tests.deploy.facts import DEPLOY, ROOT

DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


@pytest.fixture(scope="module")
def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text("utf-8"))
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def _args(instructions: list[tuple[str, str]]) -> dict[str, str]:
    return dict(rest.split("=", 1) for kw, rest in instructions if kw == "ARG" and "=" in rest)


def test_multi_stage_on_python_311_slim(instructions: list[tuple[str, str]]) -> None:
    args = _args(instructions)
    bases = [rest.split()[0] for kw, rest in instructions if kw == "FROM"]
    resolved = [re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], b) for b in bases]
    assert len(resolved) >= 3
    assert resolved[-1] == "python:3.11-slim", "the runtime stage is python:3.11-slim"
    assert "python:3.11-slim" in resolved[:-1], "the build stage uses the same Python"


def test_installs_from_the_lockfile(instructions: list[tuple[str, str]]) -> None:
    runs = [rest for kw, rest in instructions if kw == "RUN"]
    syncs = [r for r in runs if "uv sync" in r]
    assert syncs
    for sync in syncs:
        assert "--frozen" in sync
        assert "--no-dev" in sync
    text = DOCKERFILE.read_text("utf-8")
    assert "uv.lock" in text
    assert not any("pip install" in r for r in runs), "everything comes from uv.lock"


def test_runs_as_non_root_with_kakehashi_entrypoint(instructions: list[tuple[str, str]]) -> None:
    users = [rest for kw, rest in instructions if kw == "USER"]
    assert users, "no USER: the image would run as root"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}
    assert user.isdigit(), "numeric USER lets Kubernetes verify runAsNonRoot"
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    last_user = max(i for i, (kw, _) in enumerate(instructions) if kw == "USER")
    assert last_user > last_from, "USER must be set in the final stage"
    (entrypoint,) = [rest for kw, rest in instructions if kw == "ENTRYPOINT"]
    assert json.loads(entrypoint) == ["kakehashi"]


def test_no_secrets_baked_in(instructions: list[tuple[str, str]]) -> None:
    for kw, rest in instructions:
        if kw in {"ENV", "ARG", "LABEL"}:
            assert not re.search(
                r"(PASSWORD|SECRET|TOKEN|ENCRYPTION_KEY|AMQP_URL|MONGODB_URL)=", rest
            ), rest
        if kw in {"COPY", "ADD"}:
            assert ".env" not in rest.split(), rest
            assert "secrets" not in rest, rest


def test_dockerignore_keeps_secrets_and_local_state_out() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip()
    }
    for pattern in (".env", "**/.git", "**/.venv", ".kakehashi"):
        assert pattern in ignored, f".dockerignore must exclude {pattern}"
    for needed in ("uv.lock", "pyproject.toml", "libs", "services", "cli"):
        assert needed not in ignored, f"{needed} is needed in the build context"
