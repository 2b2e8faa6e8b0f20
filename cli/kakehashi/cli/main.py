"""`kakehashi`: one command for the services, the simulators and (later) admin tasks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kakehashi.cli.commands import discover


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kakehashi",
        description="Two-way sync between Cybozu Garoon and Microsoft 365 calendars.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in discover():
        # Each module sets `run` as a default, so the chosen one gets the parsed arguments.
        command.configure(sub.add_parser(command.NAME, help=command.HELP, description=command.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
