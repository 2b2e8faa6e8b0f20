"""`kakehashi sandbox` (what `make run` runs): comes up, writes the manifest, the printed
commands work as printed, and Ctrl-C / SIGTERM stop everything with exit code 0."""

from __future__ import annotations

import json
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest

from kakehashi.cli.sandbox.manifest import Manifest
from tests.e2e.broker import private_vhost
from tests.sandbox.process import SandboxProcess, wait_for

pytestmark = pytest.mark.e2e


def get(url: str, cafile: str | None = None) -> tuple[int, bytes]:
    import ssl

    context = ssl.create_default_context(cafile=cafile) if cafile else None
    with urllib.request.urlopen(url, timeout=10, context=context) as resp:
        return resp.status, resp.read()


def test_the_manifest_describes_everything_that_runs(running: SandboxProcess) -> None:
    path = running.state_dir / "sandbox.json"
    assert str(path.resolve()) in running.stdout
    m = Manifest.read(path)
    assert m.bus.startswith("rabbitmq ")
    assert m.graph.url == f"https://127.0.0.1:{running.ports['graph']}"
    assert Path(m.graph.ca_file).is_file()
    assert m.graph.roles == [
        "Calendars.ReadWrite",
        "User.Read.All",
        "OnlineMeetings.ReadWrite.All",
        "Place.Read.All",
    ]
    assert m.garoon.url == f"http://127.0.0.1:{running.ports['garoon']}/g"
    assert len(m.users) == 4
    assert len(m.rooms) == 2
    assert m.subscriptions_by == "renewal"
    assert len(m.subscriptions) == 4
    for name, entry in m.services.items():
        assert entry.url == f"http://127.0.0.1:{running.ports[name]}"
        assert get(f"{entry.url}/readyz")[0] == 200
    # The simulators' real APIs answer with the manifest's credentials alone.
    status, body = get(
        f"{m.graph.url}/{m.graph.tenant_id}/v2.0/.well-known/openid-configuration", m.graph.ca_file
    )
    assert status == 200
    assert json.loads(body)["token_endpoint"] == m.graph.token_url
    user = m.users[0]
    request = urllib.request.Request(
        f"{m.garoon.rest_url}/base/users?name={user.login}",
        headers={"X-Cybozu-Authorization": _b64(f"{user.login}:{user.garoon_password}")},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        users = json.loads(resp.read())["users"]
    assert [u["code"] for u in users] == [user.login]


def test_the_printed_commands_work_as_printed(running: SandboxProcess) -> None:
    script = running.commands()
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Garoon event " in done.stdout
    assert "Outlook event " in done.stdout
    m = Manifest.read(running.state_dir / "sandbox.json")

    # Each Garoon step fired a browser hint the ingress accepted; each Outlook step a change
    # notification the ingress accepted.
    def hints_accepted() -> bool:
        _, body = get(f"{m.garoon.control_url}/hints")
        deliveries = json.loads(body)["deliveries"]
        return len(deliveries) >= 3 and all(d["status"] == 202 for d in deliveries)

    def notifications_accepted() -> bool:
        _, body = get(f"{m.graph.control_url}/notifications", m.graph.ca_file)
        changes = [d for d in json.loads(body) if d["kind"] == "change"]
        kinds = {i["changeType"] for d in changes for i in d["items"]}
        return kinds >= {"created", "updated", "deleted"} and all(
            d["status"] == 202 for d in changes
        )

    wait_for(hints_accepted, "three hints accepted by the ingress", timeout=10)
    wait_for(notifications_accepted, "notifications accepted by the ingress", timeout=10)


def test_ctrl_c_stops_everything_with_exit_0_and_the_manifest_path_can_be_chosen(
    tmp_path: Path,
) -> None:
    manifest = tmp_path / "elsewhere" / "m.json"
    with private_vhost("kakehashi-sandbox-sigint") as amqp_url:
        sandbox = SandboxProcess(tmp_path / "state", amqp_url, "--manifest", str(manifest))
        _start_and_interrupt(sandbox, manifest)


def _start_and_interrupt(sandbox: SandboxProcess, manifest: Path) -> None:
    sandbox.start()
    try:
        wait_for(sandbox.card_printed, "the sandbox card")
        assert Manifest.read(manifest).tenant.id == "sandbox"
        assert sandbox.stop(signal.SIGINT) == 0, sandbox.stderr[-2000:]
    finally:
        sandbox.kill()


def _b64(text: str) -> str:
    import base64

    return base64.b64encode(text.encode()).decode()


async def test_a_second_sandbox_on_the_same_vhost_is_refused_with_the_way_out(
    running: SandboxProcess, sandbox_amqp_url: str, tmp_path: Path
) -> None:
    # Both would declare the same queues and take each other's messages.
    from kakehashi.cli.sandbox.options import SandboxOptions
    from kakehashi.cli.sandbox.stack import Sandbox, SandboxError

    options = SandboxOptions.ephemeral(tmp_path / "second")
    options.amqp_url = sandbox_amqp_url
    with pytest.raises(SandboxError, match="another Kakehashi is consuming") as refused:
        async with Sandbox(options):
            pass
    assert "KAKEHASHI_AMQP_URL" in str(refused.value)
    assert running.proc is not None
    assert running.proc.poll() is None  # the first one runs on, undisturbed
