"""`kakehashi tenant`: create, list and show tenants; rotate the Garoon hint secret."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import EXIT_OK, action, actions, call, emit, tenant_path

NAME = "tenant"
HELP = "create, list and show tenants; rotate the Garoon hint secret (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    create = action(sub, "create", _create, help="create (or rename) the tenant")
    create.add_argument("--name", default="", help="display name")
    action(sub, "show", _show, help="show settings (secrets are never shown)")
    action(sub, "list", _list, help="list tenants")
    action(sub, "rotate-hint-secret", _rotate, help="new Garoon hint secret, shown once")


def _create(args: argparse.Namespace) -> int:
    emit(args, call(args, "PUT", tenant_path(args), {"name": args.name}), render_tenant)
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    emit(args, call(args, "GET", tenant_path(args)), render_tenant)
    return EXIT_OK


def _list(args: argparse.Namespace) -> int:
    data = call(args, "GET", "/api/v1/tenants")
    emit(args, data, lambda d: "\n".join(f"{t['id']}\t{t['name']}" for t in d["tenants"]))
    return EXIT_OK


def _rotate(args: argparse.Namespace) -> int:
    emit(args, call(args, "POST", tenant_path(args, "/hint-secret")), render_tenant)
    return EXIT_OK


def render_tenant(t: dict[str, Any]) -> str:
    lines = [f"tenant {t['id']}" + (f" ({t['name']})" if t.get("name") else "")]
    graph = t.get("graph")
    if graph:
        lines.append(
            f"  Microsoft 365: tenant {graph['tenant_id']}, client {graph['client_id']}, "
            f"secret {graph['client_secret']}, certificate {graph['certificate']}"
        )
        if graph.get("secret_expires_at"):
            left = graph.get("secret_expires_in_days")
            warning = ""
            if left is not None and left < 0:
                warning = "  EXPIRED: set a new secret / 期限切れ"
            elif left is not None and left <= 30:
                warning = f"  only {left} days left: rotate it / 残り {left} 日"
            lines.append(f"    secret expires {graph['secret_expires_at']}{warning}")
    else:
        lines.append("  Microsoft 365: not configured")
    garoon = t.get("garoon")
    if garoon:
        basic = f", Basic auth as {garoon['basic_user']}" if garoon.get("basic_user") else ""
        proxy = f", proxy {garoon['proxy_url']}" if garoon.get("proxy_url") else ""
        lines.append(
            f"  Garoon: {garoon['base_url']} as {garoon['login']} "
            f"(password {garoon['password']}{basic}{proxy})"
        )
    else:
        lines.append("  Garoon: not configured")
    lines.append(f"  hint secret: {t['hint_secret']}")
    policy = t.get("policy", {})
    lines.append(
        f"  policy: conflict {policy.get('conflict')}, repeat window "
        f"{policy.get('repeat_window_days')} days, backfill from {policy.get('backfill_from')}"
    )
    if t.get("hint_secret_once"):
        lines += ["", f"Garoon hint secret: {t['hint_secret_once']}", t["hint_secret_note"]]
    return "\n".join(lines)
