"""`kakehashi sandbox` as a real subprocess on ephemeral ports."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from kakehashi.cli.sandbox.card import BEGIN, END
from kakehashi.cli.sandbox.options import free_port
from kakehashi.runtime import DEFAULT_PORTS
from tests.support.waiting import wait_until

KAKEHASHI = str(Path(sys.executable).parent / "kakehashi")


class SandboxProcess:
    def __init__(self, state_dir: Path, amqp_url: str, *extra: str) -> None:
        self.state_dir = state_dir
        self.ports = {name: free_port() for name in ("graph", "garoon", *DEFAULT_PORTS)}
        self.args = [KAKEHASHI, "sandbox", "--state-dir", str(state_dir), "--amqp-url", amqp_url]
        self.args += [
            f"--{name.replace('_', '-')}-port={port}" for name, port in self.ports.items()
        ]
        self.args += list(extra)
        self.out_path = state_dir / "stdout.txt"
        self.err_path = state_dir / "stderr.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, env: dict[str, str] | None = None) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        clean = {k: v for k, v in os.environ.items() if not k.startswith("KAKEHASHI_")}
        with self.out_path.open("wb") as out, self.err_path.open("wb") as err:
            self.proc = subprocess.Popen(self.args, stdout=out, stderr=err, env=clean | (env or {}))

    @property
    def stdout(self) -> str:
        return self.out_path.read_text("utf-8", "replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text("utf-8", "replace")

    def card_printed(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError(f"sandbox exited {self.proc.returncode}: {self.stderr[-2000:]}")
        return END in self.stdout

    def commands(self) -> str:
        text = self.stdout
        return text[text.index(BEGIN) : text.index(END) + len(END)]

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"sandbox did not stop within {timeout}s") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_for(condition: Callable[[], bool], message: str, timeout: float = 60.0) -> None:
    """tests.support.waiting.wait_until from synchronous code (subprocess fixtures)."""
    asyncio.run(wait_until(condition, timeout=timeout, interval=0.05, message=message))
