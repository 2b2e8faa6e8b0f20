"""createIndexes / listIndexes / dropIndexes with the server's conflict rules and codes, which
pymongo callers rely on (mongo.py rebuilds an index on 85/86). Index *use* is mongomock's:
every query scans, and unique keys are checked on each write."""

from __future__ import annotations

from typing import Any

from pymongo.errors import DuplicateKeyError

from kakehashi.mongo_sim.context import Context, Document, int_arg
from kakehashi.mongo_sim.errors import CommandError
from kakehashi.mongo_sim.uniques import check_unique

# The options mongomock keeps, compares and enforces (TTL: see the package docstring).
OPTIONS = ("unique", "sparse", "partialFilterExpression", "expireAfterSeconds")
ID_INDEX = "_id_"


def _options(index: Document) -> Document:
    return {name: index[name] for name in OPTIONS if index.get(name) not in (None, False)}


def _requested(spec: Any) -> tuple[str, list[tuple[str, Any]], Document]:
    if not isinstance(spec, dict) or not isinstance(spec.get("key"), dict) or not spec["key"]:
        raise CommandError(9, f"an index needs a non-empty 'key' document: {spec!r}")
    if not isinstance(spec.get("name"), str):
        raise CommandError(9, f"an index needs a 'name': {spec!r}")
    return spec["name"], list(spec["key"].items()), _options(spec)


def _conflict(name: str, key: list[tuple[str, Any]], options: Document, existing: Document) -> bool:
    """True: exactly this index exists already. Raise when it clashes with one that does."""
    have = existing.get(name)
    if have is not None:
        wanted = {"key": dict(key), **options}
        shown = f"Requested index: {wanted}, existing index: {{'key': {dict(have['key'])}, ...}}"
        if list(have["key"]) != key:
            raise CommandError(
                86,
                f"An existing index has the same name as the requested "
                f"index but different keys. {shown}",
            )
        if _options(have) != options:
            raise CommandError(
                85,
                f"An existing index has the same name as the requested "
                f"index but different options. {shown}",
            )
        return True
    for other, index in existing.items():
        if list(index["key"]) == key and _options(index) == options:
            raise CommandError(85, f"Index already exists with a different name: {other}")
    return False


def create_indexes(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["createIndexes"]
    coll = ctx.collection(db, name)
    created = not ctx.exists(db, name)
    specs = cmd.get("indexes")
    if not isinstance(specs, list) or not specs:
        raise CommandError(9, "'indexes' must be a non-empty array")
    requested = [_requested(spec) for spec in specs]
    before = 1 if created else len(coll.index_information())
    ctx.materialize(db, name)
    built = 0
    for index_name, key, options in requested:
        if _conflict(index_name, key, options, coll.index_information()):
            continue
        if options.get("unique"):
            check_unique(coll, db, index_name, {"key": key, **options})
        try:
            coll.create_index(key, name=index_name, **options)
        except DuplicateKeyError:
            # mongomock checks existing documents ignoring the partial filter; ours did not
            # (check_unique passed), so register the index as mongomock itself would.
            coll._store.create_index(index_name, {"key": key, **options})
        built += 1
    reply: Document = {
        "createdCollectionAutomatically": created,
        "numIndexesBefore": before,
        "numIndexesAfter": len(coll.index_information()),
    }
    if not built:
        reply["note"] = "all indexes already exist"
    return reply


def list_indexes(ctx: Context, db: str, cmd: Document) -> Document:
    name = cmd["listIndexes"]
    docs = [
        {"v": 2, "key": dict(index["key"]), "name": index_name, **_options(index)}
        for index_name, index in ctx.require(db, name).index_information().items()
    ]
    batch_size = int_arg(cmd.get("cursor") or {}, "batchSize")
    return {"cursor": ctx.cursors.first_batch(f"{db}.{name}", docs, batch_size)}


def drop_indexes(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.require(db, cmd["dropIndexes"])
    info = coll.index_information()
    which = cmd.get("index")
    if which == "*":
        names = [n for n in info if n != ID_INDEX]
    elif isinstance(which, str):
        names = [which]
    elif isinstance(which, list):
        names = [str(n) for n in which]
    elif isinstance(which, dict):
        names = [n for n, ix in info.items() if list(ix["key"]) == list(which.items())]
        if not names:
            raise CommandError(27, f"can't find index with key: {which}")
    else:
        raise CommandError(14, "'index' must be a name, a key document or an array of names")
    for index_name in names:
        if index_name == ID_INDEX:
            raise CommandError(72, "cannot drop _id index")
        if index_name not in info:
            raise CommandError(27, f"index not found with name [{index_name}]")
    for index_name in names:
        coll.drop_index(index_name)
    return {"nIndexesWas": len(info)}
