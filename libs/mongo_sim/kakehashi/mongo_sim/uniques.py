"""Unique indexes the way the server enforces them, where mongomock is vaguer: which index and
key a duplicate hit (pymongo's DuplicateKeyError.details), and uniqueness over existing
documents that honours a partial filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import bson
from mongomock import filtering, helpers

from kakehashi.mongo_sim.errors import CommandError
from kakehashi.mongo_sim.wire import CODEC

Document = dict[str, Any]

# mongomock's own matcher and dotted-path lookup, typed (mongomock ships no annotations).
filter_applies: Callable[[Document, Document], bool] = filtering.filter_applies
get_value_by_dot: Callable[[Document, str], Any] = helpers.get_value_by_dot


def key_value(doc: Document, fields: list[str]) -> Document:
    """A missing field indexes as null, as in a non-sparse server index."""
    value: Document = {}
    for field in fields:
        try:
            value[field] = get_value_by_dot(doc, field)
        except (KeyError, TypeError, IndexError):
            value[field] = None
    return value


def _indexed(index: Document, doc: Document) -> bool:
    fields = [k for k, _ in index["key"]]
    if index.get("sparse") and all(v is None for v in key_value(doc, fields).values()):
        return False
    partial = index.get("partialFilterExpression")
    return partial is None or filter_applies(partial, doc)


def duplicate_error(coll: Any, db: str, doc: Document | None) -> CommandError:
    """The E11000 error for `doc`, which a unique index of `coll` has just refused. Without the
    document (an update: mongomock has rolled it back) the index cannot be named."""
    for name, index in coll.index_information().items():
        if doc is None or (name != "_id_" and not index.get("unique")):
            continue
        if not _indexed(index, doc):
            continue
        fields = [k for k, _ in index["key"]]
        value = key_value(doc, fields)
        clash = dict(value) if name == "_id_" else {"$and": [value, {"_id": {"$ne": doc["_id"]}}]}
        if any(_indexed(index, other) for other in coll.find(clash)):
            return _error(db, coll.name, name, dict(index["key"]), value)
    return CommandError(11000, f"E11000 duplicate key error collection: {db}.{coll.name}")


def check_unique(coll: Any, db: str, name: str, index: Document) -> None:
    """Before building unique index `name`: the documents it covers must already be unique."""
    fields = [k for k, _ in index["key"]]
    seen: set[bytes] = set()
    for doc in coll.find(index.get("partialFilterExpression") or {}):
        if not _indexed(index, doc):
            continue
        value = key_value(doc, fields)
        encoded = bson.encode({"v": list(value.values())}, codec_options=CODEC)
        if encoded in seen:
            raise _error(db, coll.name, name, dict(index["key"]), value)
        seen.add(encoded)


def _error(db: str, coll: str, index: str, pattern: Document, value: Document) -> CommandError:
    shown = ", ".join(f"{k}: {v!r}" for k, v in value.items())
    return CommandError(
        11000,
        f"E11000 duplicate key error collection: {db}.{coll} index: {index} dup key: {{ {shown} }}",
        keyPattern=pattern,
        keyValue=value,
    )
