"""`kakehashi service NAME`: run one service, as in a Kubernetes Deployment."""

from __future__ import annotations

import argparse

from kakehashi.cli.services import PACKAGES, load

NAME = "service"
HELP = "run one service (configured by KAKEHASHI_* environment variables)"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=sorted(PACKAGES), help="the service to run")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from kakehashi.cli.settings import settings_for
    from kakehashi.runtime.runner import run_services

    return run_services([load(args.name)], settings_for(args.name))
