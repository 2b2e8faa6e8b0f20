"""`kakehashi policy`: conflict policy, repeat window, backfill date, mass-delete threshold."""

from __future__ import annotations

import argparse
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_OK,
    CliError,
    action,
    actions,
    call,
    emit,
    tenant_path,
)

NAME = "policy"
HELP = "sync policy: conflicts, repeat window, backfill (admin API)"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    action(sub, "show", _show, help="the current policy")
    put = action(sub, "set", _set, help="change some settings")
    put.add_argument("--conflict", choices=["later-wins", "garoon-wins", "graph-wins"])
    put.add_argument("--repeat-window-days", type=int, help="how far ahead repeats sync (7-3650)")
    put.add_argument("--backfill-from", help="sync events from this date (YYYY-MM-DD) or 'none'")
    put.add_argument("--mass-delete-threshold", type=int, help="deletes per sweep that pause sync")


def _show(args: argparse.Namespace) -> int:
    emit(args, call(args, "GET", tenant_path(args, "/policy")), render)
    return EXIT_OK


def _set(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {}
    if args.conflict:
        body["conflict"] = args.conflict
    if args.repeat_window_days is not None:
        body["repeat_window_days"] = args.repeat_window_days
    if args.backfill_from:
        body["backfill_from"] = None if args.backfill_from == "none" else args.backfill_from
    if args.mass_delete_threshold is not None:
        body["mass_delete_threshold"] = args.mass_delete_threshold
    if not body:
        raise CliError("nothing to set")
    emit(args, call(args, "PUT", tenant_path(args, "/policy"), body), render)
    return EXIT_OK


def render(p: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"conflict policy:        {p['conflict']}",
            f"repeat window:          {p['repeat_window_days']} days",
            f"backfill from:          {p['backfill_from'] or '(today: no backfill)'}",
            f"mass-delete threshold:  {p['mass_delete_threshold']}",
        ]
    )
