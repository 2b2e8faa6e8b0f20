"""insert / update / delete / findAndModify. A failed write is a `writeErrors` entry, not a
failed command, so pymongo raises DuplicateKeyError (11000) or WriteError from it."""

from __future__ import annotations

import logging
from typing import Any

from pymongo.errors import DuplicateKeyError

from kakehashi.mongo_sim.context import Context, Document, doc_arg
from kakehashi.mongo_sim.errors import CommandError, as_command_error
from kakehashi.mongo_sim.reads import sort_spec
from kakehashi.mongo_sim.uniques import duplicate_error

log = logging.getLogger("kakehashi.mongo_sim")


def _write_reply(n: int, errors: list[Document], **extra: Any) -> Document:
    reply: Document = {"n": n, **extra}
    if errors:
        reply["writeErrors"] = errors
    return reply


def _failed(coll: Any, db: str, exc: Exception, doc: Document | None = None) -> CommandError:
    if isinstance(exc, DuplicateKeyError):
        return duplicate_error(coll, db, doc)
    error = as_command_error(exc)
    if error.code == 1:  # not a refusal the server would make: the simulator's own fault
        log.error("mongo simulator: write failed", exc_info=exc)
    return error


def _specs(cmd: Document, field: str) -> list[Document]:
    specs = cmd.get(field)
    if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
        raise CommandError(14, f"{field!r} must be an array of documents")
    return specs


def insert(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.collection(db, cmd["insert"])
    n, errors = 0, []
    for i, doc in enumerate(_specs(cmd, "documents")):
        try:
            coll.insert_one(doc)
            n += 1
        except Exception as exc:
            errors.append(_failed(coll, db, exc, doc).write_error(i))
            if cmd.get("ordered", True):
                break
    if n:
        ctx.materialize(db, cmd["insert"])
    return _write_reply(n, errors)


def _is_operator_update(update: Any) -> bool:
    if isinstance(update, list):
        raise CommandError(115, "pipeline updates are not supported by the MongoDB simulator")
    if not isinstance(update, dict):
        raise CommandError(9, "an update must be a document")
    # As on the server, the first key decides; mongomock refuses a mix.
    return bool(update) and next(iter(update)).startswith("$")


def _update_one_spec(coll: Any, spec: Document) -> Any:
    q, u = doc_arg(spec, "q"), spec.get("u")
    upsert, multi = bool(spec.get("upsert")), bool(spec.get("multi"))
    if _is_operator_update(u):
        kwargs: Document = {"upsert": upsert}
        if spec.get("arrayFilters"):
            kwargs["array_filters"] = spec["arrayFilters"]
        return (coll.update_many if multi else coll.update_one)(q, u, **kwargs)
    if multi:
        raise CommandError(9, "multi update is not supported for replacement-style update")
    return coll.replace_one(q, u, upsert=upsert)


def update(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.collection(db, cmd["update"])
    n, modified, upserted, errors = 0, 0, [], []
    for i, spec in enumerate(_specs(cmd, "updates")):
        try:
            result = _update_one_spec(coll, spec)
        except Exception as exc:
            errors.append(_failed(coll, db, exc).write_error(i))
            if cmd.get("ordered", True):
                break
            continue
        if result.upserted_id is not None:
            upserted.append({"index": i, "_id": result.upserted_id})
            n += 1
        else:
            n += result.matched_count
            modified += result.modified_count
    extra: Document = {"nModified": modified}
    if upserted:
        ctx.materialize(db, cmd["update"])
        extra["upserted"] = upserted
    return _write_reply(n, errors, **extra)


def delete(ctx: Context, db: str, cmd: Document) -> Document:
    coll = ctx.collection(db, cmd["delete"])
    n, errors = 0, []
    for i, spec in enumerate(_specs(cmd, "deletes")):
        try:
            q = doc_arg(spec, "q")
            result = coll.delete_one(q) if spec.get("limit") == 1 else coll.delete_many(q)
            n += result.deleted_count
        except Exception as exc:
            errors.append(_failed(coll, db, exc).write_error(i))
            if cmd.get("ordered", True):
                break
    return _write_reply(n, errors)


def find_and_modify(ctx: Context, db: str, cmd: Document) -> Document:
    """Find one (sorted), then change it, in one step: nothing runs in between (see server)."""
    coll = ctx.collection(db, next(iter(cmd.values())))
    try:
        return _find_and_modify(coll, cmd)
    except DuplicateKeyError as exc:
        raise duplicate_error(coll, db, None) from exc


def _find_and_modify(coll: Any, cmd: Document) -> Document:
    query, fields = doc_arg(cmd, "query"), cmd.get("fields") or None
    remove, change = bool(cmd.get("remove")), cmd.get("update")
    if remove == (change is not None):
        raise CommandError(9, "Either an update or remove=true must be specified")
    current = coll.find_one(query, sort=sort_spec(cmd))
    if remove:
        value = coll.find_one({"_id": current["_id"]}, fields) if current else None
        if current:
            coll.delete_one({"_id": current["_id"]})
        return {"lastErrorObject": {"n": int(current is not None)}, "value": value}
    spec = {"u": change, "upsert": bool(cmd.get("upsert"))}
    if current:
        before = coll.find_one({"_id": current["_id"]}, fields)
        _update_one_spec(coll, spec | {"q": {"_id": current["_id"]}})
        value = coll.find_one({"_id": current["_id"]}, fields) if cmd.get("new") else before
        return {"lastErrorObject": {"n": 1, "updatedExisting": True}, "value": value}
    if not spec["upsert"]:
        return {"lastErrorObject": {"n": 0, "updatedExisting": False}, "value": None}
    new_id = _update_one_spec(coll, spec | {"q": query}).upserted_id
    value = coll.find_one({"_id": new_id}, fields) if cmd.get("new") else None
    last = {"n": 1, "updatedExisting": False, "upserted": new_id}
    return {"lastErrorObject": last, "value": value}
