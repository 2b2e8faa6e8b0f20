"""`kakehashi sync --dry-run --user U`: what a sync of one user would do, changing nothing."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_OK,
    CliError,
    add_common,
    call,
    emit,
    guarded,
    quote,
    tenant_path,
)

NAME = "sync"
HELP = "dry run: what a sync of one user would do (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="required: show, change nothing")
    parser.add_argument("--user", required=True, help="Garoon login name")
    add_common(parser)
    parser.set_defaults(run=guarded(_sync))


def _sync(args: argparse.Namespace) -> int:
    if not args.dry_run:
        raise CliError("sync runs continuously in the services; only --dry-run is available here")
    path = tenant_path(args, f"/users/{quote(args.user)}/dry-run")
    emit(args, call(args, "POST", path), render)
    return EXIT_OK


def render(d: dict[str, Any]) -> str:
    lines = [
        f"dry run for {d['user']} ({d['status']}), window {d['window']['start']} .. "
        f"{d['window']['end']}",
        f"source: {d['source']}" + (f" ({d['note']})" if d.get("note") else ""),
        "",
    ]
    if d["source"] == "engine.explain":
        if not d["actions"]:
            lines.append("nothing to do")
        for a in d["actions"]:
            target = f" -> {a['target']}" if a["target"] else ""
            lines.append(
                f"{a['action']:<7} {a['source']}{target}  {a['title']!r}  rule {a['rule']}"
                + (f": {a['detail']}" if a["detail"] else "")
            )
        for g in d["guards"]:
            if not g["allowed"]:
                lines.append(f"BLOCKED deletes {', '.join(g['deletes'])}: {g['reason']}")
        for s in d.get("skipped", []):
            lines.append(f"skipped {s['side']} {s['id']}: {s['reason']}")
    lines += ["", f"{len(d['mappings'])} stored mapping(s):"]
    for m in d["mappings"]:
        pending = f" [{'; '.join(m['pending'])}]" if m["pending"] else ""
        lines.append(f"  {m['id']}  {m['state']:<14} {m['title']!r}  {m['last_rule']}{pending}")
    return "\n".join(lines)
