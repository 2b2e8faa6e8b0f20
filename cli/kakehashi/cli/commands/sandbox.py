"""`kakehashi sandbox`: both simulators, every service and a seeded company (`make run`)."""

from __future__ import annotations

import argparse
import os

NAME = "sandbox"
HELP = (
    "run the Graph and Garoon simulators, all services and a seeded company on localhost; "
    "prints what runs where and commands to try, writes a manifest; Ctrl-C stops"
)


def _port(name: str, default: int) -> int:
    raw = os.environ.get(f"KAKEHASHI_SANDBOX_{name.upper()}_PORT")
    return int(raw) if raw else default


def configure(parser: argparse.ArgumentParser) -> None:
    from kakehashi.cli.sandbox.options import GAROON_SIM_PORT, GRAPH_SIM_PORT
    from kakehashi.runtime import DEFAULT_PORTS

    parser.add_argument("--host", default="127.0.0.1", help="address for everything (%(default)s)")
    parser.add_argument(
        "--graph-port", type=int, default=_port("graph", GRAPH_SIM_PORT),
        help="Graph simulator, HTTPS (%(default)s; env KAKEHASHI_SANDBOX_GRAPH_PORT)",
    )  # fmt: skip
    parser.add_argument(
        "--garoon-port", type=int, default=_port("garoon", GAROON_SIM_PORT),
        help="Garoon simulator (%(default)s; env KAKEHASHI_SANDBOX_GAROON_PORT)",
    )  # fmt: skip
    for name, default in DEFAULT_PORTS.items():
        parser.add_argument(
            f"--{name.replace('_', '-')}-port", dest=f"port_{name}", type=int,
            default=_port(name, default),
            help=f"{name} (%(default)s; env KAKEHASHI_SANDBOX_{name.upper()}_PORT)",
        )  # fmt: skip
    parser.add_argument(
        "--state-dir", default=".kakehashi", help="CA, logs, manifest (%(default)s)"
    )
    parser.add_argument("--manifest", help="manifest path (default STATE_DIR/sandbox.json)")
    parser.add_argument("--users", type=int, default=4, help="linked users to seed (%(default)s)")
    parser.add_argument(
        "--processes", action="store_true",
        help="each service in its own process (needs RabbitMQ; without a MongoDB URL the "
        "sandbox serves an in-memory MongoDB simulator they share)",
    )  # fmt: skip
    parser.add_argument(
        "--amqp-url", help="RabbitMQ (default KAKEHASHI_AMQP_URL, else 127.0.0.1:5672 if it "
        "answers, else the in-memory bus)",
    )  # fmt: skip
    parser.add_argument(
        "--mongodb-url", help="MongoDB (default KAKEHASHI_MONGODB_URL, else memory)"
    )
    parser.add_argument("--log-level", default="WARNING", help="service logs (%(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from kakehashi.cli.sandbox.main import run_sandbox
    from kakehashi.cli.sandbox.options import SandboxOptions
    from kakehashi.runtime import DEFAULT_PORTS

    options = SandboxOptions(
        host=args.host,
        graph_port=args.graph_port,
        garoon_port=args.garoon_port,
        service_ports={name: getattr(args, f"port_{name}") for name in DEFAULT_PORTS},
        state_dir=Path(args.state_dir),
        manifest=Path(args.manifest) if args.manifest else None,
        amqp_url=args.amqp_url,
        mongodb_url=args.mongodb_url,
        users=args.users,
        processes=args.processes,
        log_level=args.log_level.upper(),
    )
    return run_sandbox(options)
