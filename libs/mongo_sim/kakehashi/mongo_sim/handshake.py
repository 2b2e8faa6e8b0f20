"""The handshake and the harmless admin commands drivers send: a standalone server, 7.0-like."""

from __future__ import annotations

from datetime import UTC, datetime

from kakehashi.mongo_sim.context import Context, Document
from kakehashi.mongo_sim.errors import CommandError

VERSION = "7.0.0"
# 21 is MongoDB 7.0: new enough for every pymongo 4.x feature the store uses.
MAX_WIRE_VERSION = 21
MAX_BSON_SIZE = 16 * 1024 * 1024
MAX_MESSAGE_SIZE = 48_000_000
MAX_WRITE_BATCH = 100_000
SESSION_TIMEOUT_MINUTES = 30


def hello(ctx: Context, db: str, cmd: Document) -> Document:
    """No `topologyVersion`: drivers then poll every heartbeat instead of streaming hello, which
    a server that never changes role has no use for. No `compression` offered either."""
    legacy = next(iter(cmd)) in ("isMaster", "ismaster")
    reply: Document = {"isWritablePrimary": True} if not legacy else {"ismaster": True}
    if legacy and cmd.get("helloOk"):
        reply["helloOk"] = True  # so the driver says `hello` from now on
    return reply | {
        "maxBsonObjectSize": MAX_BSON_SIZE,
        "maxMessageSizeBytes": MAX_MESSAGE_SIZE,
        "maxWriteBatchSize": MAX_WRITE_BATCH,
        "localTime": datetime.now(UTC).replace(tzinfo=None),
        # Sessions "supported": pymongo then sends lsid (ignored) and endSessions at close.
        "logicalSessionTimeoutMinutes": SESSION_TIMEOUT_MINUTES,
        "connectionId": ctx.connection_id,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": False,
    }


def build_info(ctx: Context, db: str, cmd: Document) -> Document:
    return {
        "version": VERSION,
        "gitVersion": "kakehashi-mongo-sim",
        "versionArray": [7, 0, 0, 0],
        "modules": [],
        "storageEngines": ["mongomock"],
        "bits": 64,
        "debug": False,
        "maxBsonObjectSize": MAX_BSON_SIZE,
    }


def get_parameter(ctx: Context, db: str, cmd: Document) -> Document:
    known: Document = {
        "featureCompatibilityVersion": {"version": "7.0"},
        "authenticationMechanisms": [],
        "cursorTimeoutMillis": 600_000,
    }
    if cmd.get("getParameter") == "*":
        return dict(known)
    wanted = [name for name in cmd if name != "getParameter" and not name.startswith("$")]
    wanted = [name for name in wanted if name not in ("lsid", "comment")]
    missing = [name for name in wanted if name not in known]
    if missing:
        raise CommandError(72, f"no option found to get: {', '.join(missing)}")
    return {name: known[name] for name in wanted}


def whats_my_uri(ctx: Context, db: str, cmd: Document) -> Document:
    return {"you": ctx.peer}


def connection_status(ctx: Context, db: str, cmd: Document) -> Document:
    return {"authInfo": {"authenticatedUsers": [], "authenticatedUserRoles": []}}


def get_cmd_line_opts(ctx: Context, db: str, cmd: Document) -> Document:
    return {"argv": ["kakehashi-mongo-sim"], "parsed": {}}


def no_auth(ctx: Context, db: str, cmd: Document) -> Document:
    raise CommandError(
        18, "authentication is not supported by the MongoDB simulator: connect without credentials"
    )


def nothing(ctx: Context, db: str, cmd: Document) -> Document:
    """ping, endSessions and the like: nothing to do, and nothing to say but ok."""
    return {}
