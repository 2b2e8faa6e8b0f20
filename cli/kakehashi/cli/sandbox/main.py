"""Run the sandbox in the foreground until SIGINT/SIGTERM; exit 0 after a clean stop."""

from __future__ import annotations

import asyncio
import signal
import sys

from kakehashi.cli.sandbox.card import card
from kakehashi.cli.sandbox.options import SandboxOptions
from kakehashi.cli.sandbox.stack import Sandbox, SandboxError
from kakehashi.runtime import configure_logging, load_settings


async def _serve(options: SandboxOptions) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        sandbox = Sandbox(options)
        try:
            manifest = await sandbox.start()
        except BaseException:
            await sandbox.stop()
            raise
        print(card(manifest, str(options.manifest_path.resolve())), flush=True)
        await stop.wait()
        print("stopping...", file=sys.stderr, flush=True)
        await sandbox.stop()
        return 0
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def run_sandbox(options: SandboxOptions) -> int:
    configure_logging(load_settings("sandbox", log_level=options.log_level, log_format="text"))
    try:
        return asyncio.run(_serve(options))
    except (SandboxError, OSError) as exc:  # OSError: typically a port in use
        print(f"kakehashi sandbox: {exc}", file=sys.stderr)
        return 2
