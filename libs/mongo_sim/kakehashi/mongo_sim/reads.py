"""find / getMore / killCursors, and the read commands drivers build helpers on (count,
aggregate, distinct). Queries, sorts and projections are mongomock's."""

from __future__ import annotations

from typing import Any

from kakehashi.mongo_sim.context import Context, Document, doc_arg, int_arg
from kakehashi.mongo_sim.errors import CommandError


def sort_spec(cmd: Document) -> list[tuple[str, Any]] | None:
    # {$meta: ...} sorts (text score) have no meaning without text indexes: dropped.
    keys = [(k, v) for k, v in doc_arg(cmd, "sort").items() if not isinstance(v, dict)]
    return keys or None


def find(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["find"]
    coll = ctx.collection(db, name)
    limit = int_arg(cmd, "limit", 0) or 0
    single = bool(cmd.get("singleBatch"))
    if limit < 0:  # the legacy spelling of "this many, in one batch"
        limit, single = -limit, True
    docs = list(
        coll.find(
            doc_arg(cmd, "filter"),
            cmd.get("projection") or None,
            skip=int_arg(cmd, "skip", 0) or 0,
            limit=limit,
            sort=sort_spec(cmd),
        )
    )
    batch_size = int_arg(cmd, "batchSize")
    return {"cursor": ctx.cursors.first_batch(f"{db}.{name}", docs, batch_size, single=single)}


def get_more(ctx: Context, db: str, cmd: Document) -> Document:
    cursor_id = int_arg(cmd, "getMore") or 0
    ns = f"{db}.{cmd.get('collection')}"
    return {"cursor": ctx.cursors.next_batch(cursor_id, ns, int_arg(cmd, "batchSize"))}


def kill_cursors(ctx: Context, db: str, cmd: Document) -> Document:
    ids = [int(i) for i in cmd.get("cursors") or ()]
    return ctx.cursors.kill(f"{db}.{cmd['killCursors']}", ids)


def count(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.collection(db, cmd["count"])
    kwargs = {k: v for k in ("skip", "limit") if (v := int_arg(cmd, k))}
    return {"n": coll.count_documents(doc_arg(cmd, "query"), **kwargs)}


def distinct(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.collection(db, cmd["distinct"])
    return {"values": coll.distinct(cmd["key"], doc_arg(cmd, "query"))}


def aggregate(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["aggregate"]
    if not isinstance(name, str):
        raise CommandError(115, "database-level aggregate is not supported by the simulator")
    pipeline = cmd.get("pipeline")
    if not isinstance(pipeline, list):
        raise CommandError(14, "'pipeline' must be an array")
    docs = list(ctx.collection(db, name).aggregate(pipeline))
    batch_size = int_arg(doc_arg(cmd, "cursor"), "batchSize")
    return {"cursor": ctx.cursors.first_batch(f"{db}.{name}", docs, batch_size)}
