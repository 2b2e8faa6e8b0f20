"""`kakehashi dead-letters`: what failed for good per work queue, and replaying it."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import EXIT_OK, action, actions, call, emit, quote

NAME = "dead-letters"
HELP = "messages that failed after their retries: list and replay (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    shown = action(sub, "list", _list, help="dead letters per work queue, with a sample")
    shown.add_argument("--sample", type=int, default=5, help="messages shown per queue")
    replay = action(sub, "replay", _replay, help="put a queue's dead letters back to work")
    replay.add_argument("queue", help="work queue, e.g. translator.observed")
    replay.add_argument("--limit", type=int, help="at most this many (default: all)")


def _list(args: argparse.Namespace) -> int:
    data = call(args, "GET", "/api/v1/dead-letters", query={"limit": str(args.sample)})
    emit(args, data, render)
    return EXIT_OK


def _replay(args: argparse.Namespace) -> int:
    body = {} if args.limit is None else {"limit": args.limit}
    data = call(args, "POST", f"/api/v1/dead-letters/{quote(args.queue)}/replay", body)
    emit(args, data, lambda d: f"{d['replayed']} message(s) of {d['queue']} put back to work")
    return EXIT_OK


def render(data: dict[str, Any]) -> str:
    if not data["total"]:
        return "no dead letters"
    lines = []
    for q in data["queues"]:
        if not q["count"]:
            continue
        lines.append(f"{q['queue']}: {q['count']} dead letter(s)")
        for s in q["sample"]:
            when = s["dead_lettered_at"] or "time unknown"
            lines.append(
                f"  {s['message_id'] or '-'}  {s['routing_key']}  tenant {s['tenant_id'] or '-'}"
                f"  {s['attempts']} attempt(s), {when}"
            )
            lines.append(f"    error: {s['error'] or '-'}")
        if q["count"] > len(q["sample"]):
            lines.append(f"  ... and {q['count'] - len(q['sample'])} more")
    return "\n".join(lines)
