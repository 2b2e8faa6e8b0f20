"""`kakehashi sim graph|garoon|mongo`: run a bundled simulator on its own."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import sys
from pathlib import Path

NAME = "sim"
HELP = "run the Microsoft Graph, Garoon or in-memory MongoDB simulator standalone"

DEFAULT_PORTS = {"graph": 8443, "garoon": 8081, "mongo": 27017}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("which", choices=sorted(DEFAULT_PORTS), help="the simulator to run")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    parser.add_argument(
        "--port", type=int, help="port (default: graph 8443, garoon 8081, mongo 27017)"
    )
    parser.add_argument(
        "--state-dir",
        default=".kakehashi/graph-sim",
        help="graph simulator: where its TLS material lives (default %(default)s)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    module_name = f"kakehashi.{args.which}_sim.standalone"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        print(f"kakehashi sim {args.which}: simulator not available ({exc})", file=sys.stderr)
        return 2
    port = args.port if args.port is not None else DEFAULT_PORTS[args.which]
    if args.which == "graph":
        result = module.serve(args.host, port, Path(args.state_dir))
    else:
        result = module.serve(args.host, port)
    if inspect.iscoroutine(result):  # serve() may block itself or hand back a coroutine
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(result)
    return 0
