"""Open cursors: what a `find`/`aggregate` has not returned yet, until `getMore` drains it.

Results are computed whole when the cursor opens (a snapshot, as with a real server's
in-memory sort), so a later write never shows up in a batch of an earlier query.
"""

from __future__ import annotations

import secrets
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import bson

from kakehashi.mongo_sim.errors import CommandError
from kakehashi.mongo_sim.wire import CODEC

Document = dict[str, Any]

# The server's defaults: 101 documents in a first batch, and no batch beyond 16 MiB.
DEFAULT_FIRST_BATCH = 101
MAX_BATCH_BYTES = 16 * 1024 * 1024
# Like the server's cursorTimeoutMillis: a client that died never kills its cursors.
IDLE_TIMEOUT = 600.0


@dataclass
class _Cursor:
    ns: str
    docs: deque[Document]
    touched: float = field(default_factory=time.monotonic)


def take(docs: deque[Document], limit: int | None) -> list[Document]:
    """Up to `limit` documents (None: as many as fit) from the front of `docs`."""
    batch: list[Document] = []
    size = 0
    while docs and (limit is None or len(batch) < limit):
        size += len(bson.encode(docs[0], codec_options=CODEC))
        if batch and size > MAX_BATCH_BYTES:
            break
        batch.append(docs.popleft())
    return batch


class CursorStore:
    def __init__(self) -> None:
        self._open: dict[int, _Cursor] = {}

    def __len__(self) -> int:
        return len(self._open)

    def first_batch(
        self, ns: str, docs: Iterable[Document], batch_size: int | None, *, single: bool = False
    ) -> Document:
        """The `cursor` field of a reply; a cursor stays open only if documents remain."""
        self._expire()
        pending = deque(docs)
        batch = take(pending, DEFAULT_FIRST_BATCH if batch_size is None else batch_size)
        cursor_id = 0
        if pending and not single:
            cursor_id = secrets.randbits(62) + 1  # positive, non-zero, fits an int64
            self._open[cursor_id] = _Cursor(ns, pending)
        return {"id": bson.Int64(cursor_id), "ns": ns, "firstBatch": batch}

    def next_batch(self, cursor_id: int, ns: str, batch_size: int | None) -> Document:
        cursor = self._open.get(cursor_id)
        if cursor is None or cursor.ns != ns:
            raise CommandError(43, f"cursor id {cursor_id} not found")
        cursor.touched = time.monotonic()
        batch = take(cursor.docs, batch_size or None)
        if not cursor.docs:
            del self._open[cursor_id]
            cursor_id = 0
        return {"id": bson.Int64(cursor_id), "ns": ns, "nextBatch": batch}

    def kill(self, ns: str, ids: Iterable[int]) -> Document:
        killed: list[bson.Int64] = []
        missing: list[bson.Int64] = []
        for cursor_id in ids:
            cursor = self._open.get(cursor_id)
            if cursor is not None and cursor.ns == ns:
                del self._open[cursor_id]
                killed.append(bson.Int64(cursor_id))
            else:
                missing.append(bson.Int64(cursor_id))
        return {
            "cursorsKilled": killed,
            "cursorsNotFound": missing,
            "cursorsAlive": [],
            "cursorsUnknown": [],
        }

    def forget(self, db: str, collection: str | None = None) -> None:
        """A dropped collection or database ends its cursors, as on the server."""

        def gone(ns: str) -> bool:
            return ns == f"{db}.{collection}" if collection else ns.startswith(f"{db}.")

        for cursor_id in [i for i, c in self._open.items() if gone(c.ns)]:
            del self._open[cursor_id]

    def _expire(self) -> None:
        horizon = time.monotonic() - IDLE_TIMEOUT
        for cursor_id in [i for i, c in self._open.items() if c.touched < horizon]:
            del self._open[cursor_id]
