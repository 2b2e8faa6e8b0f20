"""Command name -> handler, and one command run to its reply document."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kakehashi.mongo_sim import databases, handshake, indexes, reads, writes
from kakehashi.mongo_sim.context import Context, Document
from kakehashi.mongo_sim.errors import CommandError, as_command_error

log = logging.getLogger("kakehashi.mongo_sim")

Handler = Callable[[Context, str, Document], Document]

HANDLERS: dict[str, Handler] = {
    "hello": handshake.hello,
    "isMaster": handshake.hello,
    "ismaster": handshake.hello,
    "ping": handshake.nothing,
    "buildInfo": handshake.build_info,
    "buildinfo": handshake.build_info,
    "getParameter": handshake.get_parameter,
    "whatsmyuri": handshake.whats_my_uri,
    "connectionStatus": handshake.connection_status,
    "getCmdLineOpts": handshake.get_cmd_line_opts,
    "endSessions": handshake.nothing,
    "killSessions": handshake.nothing,
    "killAllSessions": handshake.nothing,
    "refreshSessions": handshake.nothing,
    "saslStart": handshake.no_auth,
    "saslContinue": handshake.no_auth,
    "authenticate": handshake.no_auth,
    "find": reads.find,
    "getMore": reads.get_more,
    "killCursors": reads.kill_cursors,
    "count": reads.count,
    "distinct": reads.distinct,
    "aggregate": reads.aggregate,
    "insert": writes.insert,
    "update": writes.update,
    "delete": writes.delete,
    "findAndModify": writes.find_and_modify,
    "findandmodify": writes.find_and_modify,
    "createIndexes": indexes.create_indexes,
    "listIndexes": indexes.list_indexes,
    "dropIndexes": indexes.drop_indexes,
    "deleteIndexes": indexes.drop_indexes,
    "dropDatabase": databases.drop_database,
    "listDatabases": databases.list_databases,
    "listCollections": databases.list_collections,
    "create": databases.create,
    "drop": databases.drop,
}

# Transactions would need snapshots mongomock does not have: refused by name, not unknown.
UNSUPPORTED = {"startTransaction", "commitTransaction", "abortTransaction", "bulkWrite"}


def run(ctx: Context, cmd: Document) -> Document:
    """The reply to one command; a failure is `ok: 0` with the server's code, never a raise."""
    try:
        reply = _run(ctx, cmd)
    except Exception as exc:
        error = as_command_error(exc)
        if error.code == 1:
            log.exception("mongo simulator: command %r failed", next(iter(cmd), ""))
        return error.reply()
    return reply | {"ok": 1.0}


def _run(ctx: Context, cmd: Document) -> Document:
    if not cmd:
        raise CommandError(59, "no command: the command document is empty")
    name = next(iter(cmd))
    db = cmd.get("$db")
    if not isinstance(db, str) or not db:
        raise CommandError(40414, "BSON field '$db' is missing but a required field")
    if "txnNumber" in cmd and "autocommit" in cmd:
        raise CommandError(115, "transactions are not supported by the MongoDB simulator")
    if name in UNSUPPORTED:
        raise CommandError(115, f"{name!r} is not supported by the MongoDB simulator")
    handler = HANDLERS.get(name)
    if handler is None:
        raise CommandError(
            59, f"no such command: '{name}' (the MongoDB simulator does not implement it)"
        )
    # lsid, $clusterTime, txnNumber (retryable writes), $readPreference, writeConcern,
    # readConcern, comment, maxTimeMS: nothing to do on one in-memory node, so ignored.
    return handler(ctx, db, cmd)
