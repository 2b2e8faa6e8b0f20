"""The `kakehashi` admin commands, run in-process (main(argv)) against the live admin API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.admin.conftest import GAROON_PASSWORD, SECRET, Env
from tests.admin.test_audit_dryrun import _mapping


async def _setup(env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tenant, Entra app from authOfficeCalendar.json, Garoon connection: all through the CLI."""
    auth = tmp_path / "authOfficeCalendar.json"
    auth.write_text(
        json.dumps(
            {"tenant_id": env.entra_tenant, "client_id": env.app.client_id, "client_secret": SECRET}
        )
    )
    monkeypatch.setenv("KAKEHASHI_TENANT", "acme")
    monkeypatch.setenv("KAKEHASHI_GAROON_PASSWORD", GAROON_PASSWORD)
    assert await env.cli("tenant", "create", "--name", "Acme") == 0
    sim = env.graph.base_url
    code = await env.cli(
        "credentials", "graph", "--file", str(auth), "--authority-host", sim, "--graph-url", sim
    )
    assert code == 0
    code = await env.cli(
        "credentials", "garoon", "--base-url", env.garoon.base_url, "--login", "kakehashi-svc"
    )
    assert code == 0


async def test_unauthenticated_cli_call(env: Env, capsys: pytest.CaptureFixture[str]) -> None:
    assert await env.cli("tenant", "list", token="wrong") == 2
    err = capsys.readouterr().err
    assert "HTTP 401" in err
    assert "KAKEHASHI_ADMIN_TOKEN" in err


async def test_credentials_from_file_never_printed_and_verify(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _setup(env, tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "Garoon hint secret: " in out  # shown once, at creation
    assert "secret set" in out
    assert SECRET not in out
    assert GAROON_PASSWORD not in out
    assert await env.cli("tenant", "show") == 0
    shown = capsys.readouterr().out
    assert "Garoon hint secret" not in shown
    assert SECRET not in shown

    assert await env.cli("users", "enable", "sato", "--address", "sato@contoso.example") == 0
    assert "linked" in capsys.readouterr().out
    assert await env.cli("credentials", "verify") == 0
    out = capsys.readouterr().out
    assert "[OK  ] A Microsoft Graph token was obtained." in out
    assert "Microsoft Graph のトークンを取得できました。" in out
    assert "up to an hour" in out

    assert await env.cli("credentials", "graph", "--client-secret", "wrong") == 0
    capsys.readouterr()
    assert await env.cli("credentials", "verify", "--json") == 1
    result = json.loads(capsys.readouterr().out)
    failed = [c for c in result["checks"] if not c["ok"]]
    assert [c["id"] for c in failed] == ["graph.secret"]


async def test_users_import_list_and_disable(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _setup(env, tmp_path, monkeypatch)
    csv_file = tmp_path / "users.csv"
    csv_file.write_bytes(
        "ログイン名,メールアドレス,有効\r\n"
        "sato,sato@contoso.example,有効\r\n"
        "suzuki,not-mail,有効\r\n".encode("cp932")
    )
    capsys.readouterr()
    assert await env.cli("users", "import", str(csv_file), "--dry-run") == 1
    out = capsys.readouterr().out
    assert "dry run: nothing applied (encoding shift_jis)" in out
    assert "line 3: not a valid e-mail address" in out
    assert await env.store.user_links.list("acme") == []
    assert await env.cli("users", "import", str(csv_file)) == 1
    assert "applied 1 row(s)" in capsys.readouterr().out

    assert await env.cli("users", "disable", "sato") == 0
    capsys.readouterr()
    assert await env.cli("users", "list", "--json") == 0
    users = json.loads(capsys.readouterr().out)["users"]
    assert [(u["garoon_login"], u["enabled"], u["status"]) for u in users] == [
        ("sato", False, "linked")
    ]
    assert await env.cli("users", "enable", "ghost", "--address", "ghost@contoso.example") == 1
    assert "not found" in capsys.readouterr().out


async def test_mappings_policy_audit_and_dry_run(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _setup(env, tmp_path, monkeypatch)
    assert await env.cli("users", "enable", "sato", "--address", "sato@contoso.example") == 0
    assert await env.cli("mappings", "set-facility", "room-3f", "room3f@contoso.example") == 0
    assert await env.cli("mappings", "set-menu", "会議", "Meeting") == 0
    capsys.readouterr()
    assert await env.cli("mappings", "list") == 0
    out = capsys.readouterr().out
    assert "room-3f" in out
    assert "room3f@contoso.example" in out
    assert "会議" in out
    code = await env.cli(
        "policy", "set", "--conflict", "graph-wins", "--repeat-window-days", "180",
        "--backfill-from", "2026-10-01",
    )  # fmt: skip
    assert code == 0
    assert "graph-wins" in capsys.readouterr().out
    tenant = await env.store.tenants.get("acme")
    assert tenant is not None
    assert tenant.policy.repeat_window_days == 180

    link = await env.store.user_links.by_garoon_login("acme", "sato")
    assert link is not None
    mapping = await _mapping(env, link.id)
    assert await env.cli("audit", "4711") == 0
    out = capsys.readouterr().out
    assert f"mapping {mapping.id}, found by Garoon event id" in out
    assert "rule merge:fields: location changed in Outlook" in out
    assert await env.cli("audit", "missing") == 2
    assert "no synced event" in capsys.readouterr().err

    assert await env.cli("sync", "--dry-run", "--user", "sato") == 0
    out = capsys.readouterr().out
    assert "source: engine.explain" in out
    assert "1 stored mapping(s)" in out
    assert await env.cli("sync", "--user", "sato") == 2
    assert "only --dry-run" in capsys.readouterr().err


async def test_remaining_subcommands(
    env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await _setup(env, tmp_path, monkeypatch)
    capsys.readouterr()
    assert await env.cli("tenant", "list") == 0
    assert "acme\tAcme" in capsys.readouterr().out
    assert await env.cli("tenant", "rotate-hint-secret", "--json") == 0
    rotated = json.loads(capsys.readouterr().out)
    stored = await env.store.tenants.get("acme")
    assert stored is not None
    assert stored.hint_secret is not None
    assert rotated["hint_secret_once"] == stored.hint_secret.get_secret_value()

    key = tmp_path / "app-key.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n")
    code = await env.cli(
        "credentials", "graph", "--certificate", str(key), "--thumbprint", "ab" * 20
    )
    assert code == 0
    assert "certificate set" in capsys.readouterr().out
    assert await env.cli("credentials", "graph", "--thumbprint", "nothex") == 2
    assert "certificate_thumbprint" in capsys.readouterr().err

    assert await env.cli("users", "link", "nobody") == 2
    assert "no user 'nobody'" in capsys.readouterr().err
    assert await env.cli("mappings", "set-menu", "外出", "Out of office") == 0
    assert await env.cli("mappings", "remove-menu", "外出") == 0
    assert await env.cli("mappings", "remove-facility", "none") == 2
    capsys.readouterr()
    assert await env.cli("policy", "show") == 0
    assert "later-wins" in capsys.readouterr().out
