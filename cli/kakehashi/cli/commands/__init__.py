"""Subcommand registry: every module in this package with NAME, HELP, configure() and run().

A new subcommand (sandbox, verify, bench, admin tasks) is one new module here; nothing else
needs editing.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Protocol, cast


class Command(Protocol):
    NAME: str
    HELP: str

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Add arguments and `parser.set_defaults(run=...)`."""


def discover() -> list[Command]:
    found = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "NAME") and hasattr(module, "configure"):
            found.append(cast(Command, module))
    return found
