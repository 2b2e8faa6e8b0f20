"""`kakehashi deletes`: deletions the mass-delete guard withheld; confirm or reject them."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import EXIT_OK, action, actions, call, emit, quote, tenant_path

NAME = "deletes"
HELP = "deletions held back by the mass-delete guard: review, confirm, reject (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    shown = action(sub, "held", _held, help="held batches of the tenant, or of one user")
    shown.add_argument("--user", help="Garoon login")
    yes = action(sub, "confirm", _confirm, help="propagate the user's held deletions, once")
    yes.add_argument("--user", required=True, help="Garoon login")
    no = action(sub, "reject", _reject, help="never propagate them; keep the other side's copies")
    no.add_argument("--user", required=True, help="Garoon login")


def _user_path(args: argparse.Namespace, suffix: str = "") -> str:
    return tenant_path(args, f"/users/{quote(args.user)}/held-deletes{suffix}")


def _held(args: argparse.Namespace) -> int:
    path = _user_path(args) if args.user else tenant_path(args, "/held-deletes")
    emit(args, call(args, "GET", path), render)
    return EXIT_OK


def _confirm(args: argparse.Namespace) -> int:
    data = call(args, "POST", _user_path(args, "/confirm"))
    emit(args, data, _render_confirmed)
    return EXIT_OK


def _reject(args: argparse.Namespace) -> int:
    data = call(args, "POST", _user_path(args, "/reject"))
    emit(args, data, _render_rejected)
    return EXIT_OK


def _count(data: dict[str, Any]) -> int:
    return sum(int(h["count"]) for h in data["held_deletes"])


def _render_confirmed(data: dict[str, Any]) -> str:
    when = (
        "now (resync requested)"
        if data["resync_requested"]
        else "at the user's next sweep (no connector answered the resync request)"
    )
    return f"confirmed {_count(data)} deletion(s); they are propagated {when}"


def _render_rejected(data: dict[str, Any]) -> str:
    return (
        f"rejected {_count(data)} deletion(s): nothing is deleted on the other side; "
        f"{data['tombstoned']} event pair(s) are no longer synced"
    )


def render(data: dict[str, Any]) -> str:
    batches = data["held_deletes"]
    if not batches:
        return "no held deletions"
    lines = []
    for h in batches:
        lines.append(
            f"{h['user'] or h['user_link_id']} ({h['side']}): {h['status']}, "
            f"{h['count']} deletion(s), first seen {h['first_seen']}, last seen {h['last_seen']}"
        )
        lines.append(f"  reason: {h['reason']}")
        if h["decided_by"]:
            lines.append(f"  decided by {h['decided_by']} at {h['decided_at']}")
        for m in h["mappings"]:
            title = m["title"] or "(no title)"
            lines.append(f"  - {title}  {m['start'] or ''}  Garoon {m['garoon_id'] or '-'}")
    return "\n".join(lines)
