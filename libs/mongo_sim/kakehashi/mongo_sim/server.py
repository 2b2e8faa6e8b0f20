"""MongoSimServer: one in-memory MongoDB on a TCP port, for every process that connects."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from types import TracebackType
from typing import Any

import mongomock

from kakehashi.mongo_sim import dispatch
from kakehashi.mongo_sim.context import Context
from kakehashi.mongo_sim.cursors import CursorStore
from kakehashi.mongo_sim.wire import HEADER, ProtocolError, decode, encode_reply, parse_header

log = logging.getLogger("kakehashi.mongo_sim")


class MongoSimServer:
    """`async with MongoSimServer() as srv:` -> srv.url (mongodb://127.0.0.1:PORT/).

    Commands run one at a time under one lock, each to completion without awaiting (mongomock
    is synchronous): every single-document write is atomic for all clients, as the store's
    compare-and-set needs.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        # Naive UTC datetimes in and out, as the server stores them.
        self.client: Any = mongomock.MongoClient(tz_aware=False)
        self.cursors = CursorStore()
        self._lock = asyncio.Lock()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.StreamWriter, asyncio.Task[None]] = {}
        self._connection_ids = itertools.count(1)
        self._request_ids = itertools.count(1)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the MongoDB simulator has not started")
        return f"mongodb://{self.host}:{self.port}/"

    @property
    def connections(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("mongo simulator listening", extra={"url": self.url})

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Python 3.11 does not close accepted connections with the server: clients would hang.
        for writer in list(self._connections):
            writer.close()
        await asyncio.gather(*self._connections.values(), return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> MongoSimServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        ctx = Context(
            client=self.client,
            cursors=self.cursors,
            connection_id=next(self._connection_ids),
            peer=f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer),
        )
        task = asyncio.current_task()
        assert task is not None
        self._connections[writer] = task
        try:
            while True:
                header = parse_header(await reader.readexactly(HEADER.size))
                request = decode(header, await reader.readexactly(header.length - HEADER.size))
                async with self._lock:
                    reply = dispatch.run(ctx, request.body)
                if request.more_to_come:
                    continue  # an unacknowledged write: the client reads no reply
                writer.write(encode_reply(request, reply, next(self._request_ids)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client went away: the usual end of a connection
        except ProtocolError as exc:
            log.warning("mongo simulator: dropping connection %s: %s", ctx.peer, exc)
        finally:
            self._connections.pop(writer, None)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
