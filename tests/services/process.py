"""Run the `kakehashi` command as a real subprocess and look at it from outside."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

import aiohttp

KAKEHASHI = str(Path(sys.executable).parent / "kakehashi")
TEST_KEY = "a2FrZWhhc2hpLXRlc3Qta2V5LTMyLWJ5dGVzLWxvbmc="  # base64 of 32 bytes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The test's environment without KAKEHASHI_* leftovers, plus the given settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
    secrets = tmp_path / "no-secrets"
    secrets.mkdir(exist_ok=True)
    env |= {"KAKEHASHI_SECRETS_DIR": str(secrets), "KAKEHASHI_HTTP_HOST": "127.0.0.1"}
    env |= {f"KAKEHASHI_{k.upper()}": v for k, v in settings.items()}
    return env


class KakehashiProcess:
    def __init__(self, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.args = args
        self.env = env
        self.log_path = log_path
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("wb") as log:
            self.proc = await asyncio.create_subprocess_exec(
                KAKEHASHI, *self.args, env=self.env, stdout=log, stderr=log
            )

    def logs(self) -> list[dict[str, Any]]:
        entries = []
        for line in self.log_path.read_text("utf-8", "replace").splitlines():
            if line.startswith("{"):
                entries.append(json.loads(line))
        return entries

    def messages(self, msg: str) -> list[dict[str, Any]]:
        return [e for e in self.logs() if e.get("msg") == msg]

    async def get(self, port: int, path: str) -> tuple[int, str]:
        try:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.1:{port}{path}", timeout=aiohttp.ClientTimeout(5)) as r,
            ):
                return r.status, await r.text()
        except aiohttp.ClientError:
            return 0, ""

    async def status(self, port: int, path: str) -> int:
        return (await self.get(port, path))[0]

    async def terminate(self, timeout: float = 10.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
