"""`kakehashi sim garoon`: run the simulator until cancelled."""

from __future__ import annotations

import asyncio

from .server import GaroonSimServer


async def serve(host: str, port: int) -> None:
    """Start the simulator, print its URLs and run until the task is cancelled."""
    async with GaroonSimServer(host, port) as server:
        print(f"Garoon simulator: {server.base_url}", flush=True)
        print(
            f"  REST {server.base_url}/api/v1/   SOAP {server.base_url}/cbpapi/schedule/api.csp",
            flush=True,
        )
        print(f"  control {server.root_url}/_sim/", flush=True)
        await asyncio.Event().wait()
