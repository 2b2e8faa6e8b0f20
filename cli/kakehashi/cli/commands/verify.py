"""`kakehashi verify`: do both sides agree for every linked user? (exit 0 clean, 1 not)."""

from __future__ import annotations

import argparse

NAME = "verify"
HELP = (
    "compare Garoon and Microsoft 365 for every linked user of a sandbox manifest and report "
    "missing, differing and duplicated events; exit 0 when clean, 1 otherwise"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--manifest", default=".kakehashi/sandbox.json", help="what to check (%(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="machine-readable report on stdout")
    parser.add_argument("--days", type=int, default=60, help="days ahead to compare (%(default)s)")
    parser.add_argument(
        "--past-days", type=int, default=0, help="days before today to include (%(default)s)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import sys
    from pathlib import Path

    from kakehashi.cli.sandbox.manifest import Manifest
    from kakehashi.cli.sandbox.verifying import render_text, verify

    path = Path(args.manifest)
    if not path.is_file():
        print(f"kakehashi verify: no manifest at {path} (is the sandbox running?)", file=sys.stderr)
        return 2
    report = asyncio.run(verify(Manifest.read(path), days=args.days, past_days=args.past_days))
    print(json.dumps(report, indent=2, ensure_ascii=False) if args.json else render_text(report))
    return 0 if report["clean"] else 1
