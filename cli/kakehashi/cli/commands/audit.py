"""`kakehashi audit EVENT`: why does this event look like this? Its audit trail."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_OK,
    add_common,
    call,
    emit,
    guarded,
    quote,
    tenant_path,
)

NAME = "audit"
HELP = "audit trail of one event: Garoon event id, Graph iCalUId or mapping id (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("event", help="Garoon event id, Graph iCalUId or mapping id")
    add_common(parser)
    parser.set_defaults(run=guarded(_audit))


def _audit(args: argparse.Namespace) -> int:
    emit(args, call(args, "GET", tenant_path(args, f"/audit/{quote(args.event)}")), render)
    return EXIT_OK


def render(data: dict[str, Any]) -> str:
    m = data["mapping"]
    lines = [
        f"event {m['title']!r} (mapping {m['id']}, found by {m['matched_by']})",
        f"  user {m['user']}, state {m['state']}, revision {m['revision']}",
        f"  Garoon {m['garoon_id']}  <->  Graph iCalUId {m['graph_ical_uid']}",
        f"  last rule: {m['last_rule'] or '-'}",
    ]
    if m["occurrence_mappings"]:
        lines.append(f"  occurrences mapped on their own: {', '.join(m['occurrence_mappings'])}")
    lines.append("")
    if not data["entries"]:
        lines.append("no audit entries (they expire after the audit TTL)")
    for e in data["entries"]:
        side = e["side"] or "-"
        detail = f": {e['detail']}" if e["detail"] else ""
        lines.append(f"{e['at']}  from {side:<6} {e['action']:<8} rule {e['rule']}{detail}")
    return "\n".join(lines)
