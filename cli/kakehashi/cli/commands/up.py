"""`kakehashi up`: every service in one process, each on its own port."""

from __future__ import annotations

import argparse

from kakehashi.cli.services import UP, load

NAME = "up"
HELP = (
    "run all services in one process (RabbitMQ if KAKEHASHI_AMQP_URL is set, else an "
    "in-memory bus; MongoDB if KAKEHASHI_MONGODB_URL is set, else an in-memory store)"
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kakehashi.cli.settings import settings_for
    from kakehashi.runtime.runner import run_services

    return run_services([load(name) for name in UP], settings_for("kakehashi"))
