"""Each service in its own `kakehashi service NAME` process, as in a Kubernetes Deployment."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

import aiohttp

from kakehashi.cli.sandbox.options import SandboxOptions
from kakehashi.cli.services import UP

KAKEHASHI = str(Path(sys.executable).parent / "kakehashi")


class ServiceProcesses:
    def __init__(self, env: dict[str, str], options: SandboxOptions) -> None:
        self.env = env
        self.options = options
        self.procs: dict[str, asyncio.subprocess.Process] = {}
        self.log_dir = options.state_dir.resolve() / "logs"

    def url(self, name: str) -> str:
        return f"http://{self.options.host}:{self.options.service_ports[name]}"

    async def start(self, timeout: float) -> dict[str, int]:
        """Start every service and wait until each says it is ready; name -> pid."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in UP:
            await self.start_one(name)
        await self.wait_ready(UP, timeout)
        return {name: proc.pid for name, proc in self.procs.items()}

    async def start_one(self, name: str) -> int:
        env = self.env | {"KAKEHASHI_HTTP_PORT": str(self.options.service_ports[name])}
        with (self.log_dir / f"{name}.log").open("ab") as log:
            proc = await asyncio.create_subprocess_exec(
                KAKEHASHI, "service", name, env=env, stdout=log, stderr=log
            )
        self.procs[name] = proc
        return proc.pid

    async def wait_ready(self, names: tuple[str, ...] | list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            for name in names:
                while not await _ready(http, f"{self.url(name)}/readyz"):
                    proc = self.procs[name]
                    if proc.returncode is not None:
                        raise RuntimeError(
                            f"{name} exited with {proc.returncode}; see {self.log_dir}"
                        )
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{name} not ready after {timeout}s; see {self.log_dir}")
                    await asyncio.sleep(0.05)

    async def kill(self, name: str) -> None:
        """SIGKILL: no drain, in-flight messages go back to the broker (crash tests)."""
        proc = self.procs[name]
        if proc.returncode is None:
            proc.kill()
            await proc.wait()

    async def terminate(self, name: str, timeout: float = 15.0) -> int | None:
        proc = self.procs[name]
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        return proc.returncode

    async def stop(self) -> None:
        await asyncio.gather(*(self.terminate(name) for name in list(self.procs)))


async def _ready(http: aiohttp.ClientSession, url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
        async with http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as resp:
            return resp.status == 200
    return False
