""".github/workflows/ci.yml: the jobs, the service containers and the suites they run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deploy.facts import ROOT, load_yaml

Job = dict[str, Any]


@pytest.fixture(scope="module")
def workflow() -> dict[Any, Any]:
    data = load_yaml(ROOT / ".github" / "workflows" / "ci.yml")
    assert isinstance(data, dict)
    return data


def _runs(job: Job) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def _uses(job: Job) -> list[str]:
    return [str(step["uses"]) for step in job["steps"] if "uses" in step]


def _images(job: Job) -> dict[str, str]:
    return {name: svc["image"] for name, svc in job.get("services", {}).items()}


def _has_port(job: Job, service: str, port: int) -> bool:
    return any(
        str(p).split(":")[-1] == str(port) for p in job["services"][service].get("ports", [])
    )


def test_triggers(workflow: dict[Any, Any]) -> None:
    triggers = workflow["on"] if "on" in workflow else workflow[True]  # YAML 1.1: bare `on` is True
    assert isinstance(triggers, dict)
    assert "pull_request" in triggers
    assert "push" in triggers
    assert workflow["permissions"] == {"contents": "read"}


def test_lint_and_typecheck_job(workflow: dict[Any, Any]) -> None:
    jobs = [j for j in workflow["jobs"].values() if "make lint" in _runs(j)]
    assert jobs
    assert "make typecheck" in _runs(jobs[0])


def test_tests_job_has_rabbitmq_and_runs_make_test(workflow: dict[Any, Any]) -> None:
    jobs = [j for j in workflow["jobs"].values() if "make test" in _runs(j)]
    assert len(jobs) == 1
    job = jobs[0]
    assert _images(job)["rabbitmq"] == "rabbitmq:3.13"
    assert _has_port(job, "rabbitmq", 5672)
    assert any(u.startswith("actions/setup-node@") for u in _uses(job))
    node = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-node@"))
    assert str(node["with"]["node-version"]) == "20"


def test_mongodb_job_runs_the_real_mongodb_suite(workflow: dict[Any, Any]) -> None:
    jobs = [j for j in workflow["jobs"].values() if "mongo" in _images(j)]
    assert len(jobs) == 1
    job = jobs[0]
    images = _images(job)
    assert images["mongo"] == "mongo:7"
    assert images["rabbitmq"].startswith("rabbitmq:3.13")
    assert _has_port(job, "mongo", 27017)
    assert _has_port(job, "rabbitmq", 5672)
    runs = _runs(job)
    assert "MONGODB_URL=mongodb://localhost:27017" in runs
    assert 'pytest -m "mongodb or rabbitmq"' in runs


def test_every_python_job_uses_setup_uv(workflow: dict[Any, Any]) -> None:
    for name, job in workflow["jobs"].items():
        if "uv " in _runs(job) or "make " in _runs(job):
            uv = [u for u in _uses(job) if u.startswith("astral-sh/setup-uv@")]
            assert uv, f"{name} runs uv without astral-sh/setup-uv"
            step = next(
                s for s in job["steps"] if str(s.get("uses", "")).startswith("astral-sh/setup-uv@")
            )
            assert str(step["with"]["python-version"]) == "3.11"


def test_gate_needs_every_job(workflow: dict[Any, Any]) -> None:
    jobs = workflow["jobs"]
    gates = [name for name, job in jobs.items() if set(job.get("needs", [])) == set(jobs) - {name}]
    assert gates, "a final gate job must need every other job"
    gate = jobs[gates[0]]
    assert gate["if"] == "always()", "the gate must report failures, not be skipped"
    assert "needs.*.result" in str(gate)
