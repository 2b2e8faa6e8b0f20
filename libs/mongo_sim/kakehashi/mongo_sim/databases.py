"""Databases and collections: list, create, drop."""

from __future__ import annotations

from typing import Any

from kakehashi.mongo_sim.context import Context, Document, doc_arg, int_arg
from kakehashi.mongo_sim.errors import CommandError
from kakehashi.mongo_sim.uniques import filter_applies


def _matching(docs: list[Document], cmd: Document) -> list[Document]:
    flt = doc_arg(cmd, "filter")
    found = [d for d in docs if filter_applies(flt, d)]
    if cmd.get("nameOnly"):
        found = [{k: d[k] for k in ("name", "type") if k in d} for d in found]
    return found


def drop_database(ctx: Context, db: str, cmd: Document) -> Document:
    ctx.client.drop_database(db)
    ctx.cursors.forget(db)
    return {"dropped": db}


def list_databases(ctx: Context, db: str, cmd: Document) -> Document:
    docs = [
        {"name": name, "sizeOnDisk": 0, "empty": False} for name in ctx.client.list_database_names()
    ]
    return {"databases": _matching(docs, cmd), "totalSize": 0}


def list_collections(ctx: Context, db: str, cmd: Document) -> Document:
    id_index = {"v": 2, "key": {"_id": 1}, "name": "_id_"}
    docs: list[dict[str, Any]] = [
        {
            "name": name,
            "type": "collection",
            "options": {},
            "info": {"readOnly": False},
            "idIndex": id_index,
        }
        for name in sorted(ctx.client[db].list_collection_names())
    ]
    batch_size = int_arg(doc_arg(cmd, "cursor"), "batchSize")
    ns = f"{db}.$cmd.listCollections"
    return {"cursor": ctx.cursors.first_batch(ns, _matching(docs, cmd), batch_size)}


def create(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["create"]
    ctx.collection(db, name)
    if ctx.exists(db, name):
        raise CommandError(48, f"Collection {db}.{name} already exists.")
    ctx.client[db].create_collection(name)
    return {}


def drop(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["drop"]
    coll = ctx.collection(db, name)
    if not ctx.exists(db, name):
        return {}  # as from 7.0: dropping what is not there succeeds
    was = len(coll.index_information())
    ctx.client[db].drop_collection(name)
    ctx.cursors.forget(db, name)
    return {"nIndexesWas": was, "ns": f"{db}.{name}"}
