"""`kakehashi users`: list with status, enable/disable one user, re-link, import a CSV."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_FAILED,
    EXIT_OK,
    action,
    actions,
    call,
    emit,
    quote,
    read_file,
    table,
    tenant_path,
)

NAME = "users"
HELP = "list, enable, disable, re-link and bulk-import users (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    action(sub, "list", _list, help="every user with status and last sync")
    enable = action(sub, "enable", _enable, help="enable and link one user")
    enable.add_argument("login", help="Garoon login name")
    enable.add_argument("--address", help="Microsoft 365 address (required for a new user)")
    disable = action(sub, "disable", _disable, help="stop syncing one user")
    disable.add_argument("login", help="Garoon login name")
    link = action(sub, "link", _link, help="look the user up again on both sides")
    link.add_argument("login", help="Garoon login name")
    imp = action(
        sub,
        "import",
        _import,
        help="CSV: Garoon login, Microsoft 365 address, enabled (UTF-8 or Shift_JIS)",
    )
    imp.add_argument("file", help="the CSV file")
    imp.add_argument("--dry-run", action="store_true", help="validate only, change nothing")


def _user_path(args: argparse.Namespace, suffix: str = "") -> str:
    return tenant_path(args, f"/users/{quote(args.login)}{suffix}")


def _list(args: argparse.Namespace) -> int:
    data = call(args, "GET", tenant_path(args, "/users"))
    emit(args, data, lambda d: render_users(d["users"]))
    return EXIT_OK


def _enable(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"enabled": True}
    if args.address:
        body["m365_address"] = args.address
    data = call(args, "PUT", _user_path(args), body)
    emit(args, data, lambda d: render_users([d]))
    return EXIT_OK if data["status"] != "failed" else EXIT_FAILED


def _disable(args: argparse.Namespace) -> int:
    data = call(args, "PUT", _user_path(args), {"enabled": False})
    emit(args, data, lambda d: render_users([d]))
    return EXIT_OK


def _link(args: argparse.Namespace) -> int:
    data = call(args, "POST", _user_path(args, "/link"))
    emit(args, data, lambda d: render_users([d]))
    return EXIT_OK if data["status"] != "failed" else EXIT_FAILED


def _import(args: argparse.Namespace) -> int:
    raw = read_file(args.file)
    query = {"dry_run": "true"} if args.dry_run else None
    data = call(
        args,
        "POST",
        tenant_path(args, "/users/import"),
        raw=raw,
        content_type="text/csv",
        query=query,
    )
    emit(args, data, render_import)
    return EXIT_OK if not data["rejected"] else EXIT_FAILED


def render_users(users: list[dict[str, Any]]) -> str:
    rows = [
        [
            u["garoon_login"],
            u["m365_address"],
            "enabled" if u["enabled"] else "disabled",
            u["status"],
            u["last_sync_at"] or "-",
            u["reason"],
        ]
        for u in users
    ]
    return table(rows, ["LOGIN", "M365 ADDRESS", "STATE", "STATUS", "LAST SYNC", "REASON"])


def render_import(data: dict[str, Any]) -> str:
    head = "dry run: nothing applied" if data["dry_run"] else f"applied {data['applied']} row(s)"
    lines = [f"{head} (encoding {data['encoding']})"]
    if not data["checked_remotely"]:
        lines.append("credentials not set: users could not be checked and stay pending")
    if data["accepted"]:
        lines += ["", "accepted:", render_users(data["accepted"])]
    if data["rejected"]:
        lines += ["", "rejected:"]
        lines += [f"  line {r['line']}: {r['reason']}" for r in data["rejected"]]
    return "\n".join(lines)
