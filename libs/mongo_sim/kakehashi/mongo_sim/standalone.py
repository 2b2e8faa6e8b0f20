"""Run the MongoDB simulator on its own: `python -m kakehashi.mongo_sim --port 27017` or
`kakehashi sim mongo`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from collections.abc import Sequence

from kakehashi.mongo_sim.server import MongoSimServer

DEFAULT_PORT = 27017


async def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve until SIGINT (Ctrl-C) or SIGTERM (a container stopping), then stop cleanly."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    async with MongoSimServer(host, port) as server:
        print(f"MongoDB simulator (in memory, lost at exit) on {server.url}", flush=True)
        await stopping.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kakehashi.mongo_sim",
        description="An in-memory MongoDB server (wire protocol over mongomock).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (%(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (%(default)s)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))
    return 0
