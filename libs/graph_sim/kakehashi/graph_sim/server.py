"""GraphSimServer: the simulator on a real socket (HTTPS with a generated test CA by default)."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from types import TracebackType

from aiohttp import web

from .app import LOOPBACK_SSL_KEY, create_app
from .sim import GraphSimulator
from .tls import ensure_tls_files


class GraphSimServer:
    """`async with GraphSimServer() as srv:` -> srv.base_url, srv.ca_file, srv.sim."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        state_dir: Path | None = None,
        sim: GraphSimulator | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self.sim = sim or GraphSimulator()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="graph-sim-")
            state_dir = Path(self._tmp.name)
        self.state_dir = state_dir
        self.ca_file: Path = state_dir / "graph-sim-ca.pem"
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def _cert_hosts(self) -> tuple[str, ...]:
        """Names the leaf must cover: the bind host, and for a wildcard bind this machine's
        name plus KAKEHASHI_GRAPH_SIM_HOSTNAMES (comma list, e.g. a compose service name)."""
        hosts = [] if self.host in ("0.0.0.0", "", "::") else [self.host]
        if not hosts:
            hosts.append(socket.gethostname())
        extra = os.environ.get("KAKEHASHI_GRAPH_SIM_HOSTNAMES", "")
        hosts += [h.strip() for h in extra.split(",") if h.strip()]
        return tuple(hosts)

    async def start(self) -> None:
        app = create_app(self.sim)
        ssl_ctx = None
        if self.tls:
            files = ensure_tls_files(self.state_dir, self._cert_hosts())
            self.ca_file = files.ca_file
            ssl_ctx = files.server_context()
            client_ctx = files.client_context()
            app[LOOPBACK_SSL_KEY] = client_ctx
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=ssl_ctx)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        port = sockets[0].getsockname()[1] if sockets else self.port
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        self.port = port
        self.base_url = f"{'https' if self.tls else 'http'}://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def __aenter__(self) -> GraphSimServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
