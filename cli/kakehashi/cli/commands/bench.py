"""`kakehashi bench` (`make bench`): load a sandbox of its own and report latency, throughput,
API economy, CPU and memory, errors, duplicates and lost changes."""

from __future__ import annotations

import argparse

NAME = "bench"
HELP = (
    "start a sandbox, make changes as people on both sides at a set rate, and report "
    "end-to-end latency, throughput, API calls per change, CPU, memory and correctness"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--users", type=int, default=20, help="linked users (%(default)s)")
    parser.add_argument("--rate", type=float, default=20.0, help="changes/s (%(default)s)")
    parser.add_argument(
        "--duration", type=float, default=60.0, help="seconds of load (%(default)s)"
    )
    parser.add_argument(
        "--settle", type=float, default=30.0,
        help="seconds to wait for outstanding changes after the load (%(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--mix", default="create=0.5,update=0.3,delete=0.2", help="operation shares (%(default)s)"
    )
    parser.add_argument(
        "--garoon-share", type=float, default=0.5,
        help="share of changes made in Garoon; the rest in Outlook (%(default)s)",
    )  # fmt: skip
    parser.add_argument(
        "--processes", action="store_true",
        help="each service in its own process: per-service CPU and RSS (needs RabbitMQ; "
        "MongoDB, else the in-memory MongoDB simulator)",
    )  # fmt: skip
    parser.add_argument("--report", default="bench-report.json", help="JSON report (%(default)s)")
    parser.add_argument("--state-dir", default=".kakehashi/bench", help="(%(default)s)")
    parser.add_argument("--amqp-url", help="RabbitMQ (default as for `kakehashi sandbox`)")
    parser.add_argument(
        "--mongodb-url", help="MongoDB (default KAKEHASHI_MONGODB_URL, else memory)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed (%(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    import sys
    from pathlib import Path

    from kakehashi.cli.sandbox.bench_run import BenchOptions, run_bench, write_report
    from kakehashi.cli.sandbox.load import Mix
    from kakehashi.cli.sandbox.stack import SandboxError
    from kakehashi.runtime import configure_logging, load_settings

    configure_logging(load_settings("bench", log_level="WARNING", log_format="text"))
    try:
        options = BenchOptions(
            users=args.users,
            rate=args.rate,
            duration=args.duration,
            settle=args.settle,
            mix=Mix.parse(args.mix, args.garoon_share),
            processes=args.processes,
            state_dir=Path(args.state_dir),
            report=Path(args.report),
            amqp_url=args.amqp_url,
            mongodb_url=args.mongodb_url,
            seed=args.seed,
        )
        report = asyncio.run(run_bench(options))
    except (SandboxError, ValueError) as exc:
        print(f"kakehashi bench: {exc}", file=sys.stderr)
        return 2
    print(write_report(report, options.report))
    print(f"report: {options.report.resolve()}")
    return 0
