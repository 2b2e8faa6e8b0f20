"""MongoDB wire-protocol framing: the 16-byte header, OP_MSG both ways, legacy OP_QUERY in and
OP_REPLY out (only as far as an old driver's first `isMaster` needs).

Layouts, all little-endian (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/):
  header     int32 messageLength, int32 requestID, int32 responseTo, int32 opCode
  OP_MSG     uint32 flagBits, sections..., [uint32 CRC-32C if checksumPresent]
             section kind 0: one BSON document (the command body)
             section kind 1: int32 size, cstring identifier, BSON documents (a sequence)
  OP_QUERY   int32 flags, cstring fullCollectionName, int32 numberToSkip,
             int32 numberToReturn, document query, [document returnFieldsSelector]
  OP_REPLY   int32 responseFlags, int64 cursorID, int32 startingFrom, int32 numberReturned,
             documents
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import bson
import bson.errors
from bson.codec_options import CodecOptions

OP_REPLY = 1
OP_QUERY = 2004
OP_COMPRESSED = 2012
OP_MSG = 2013

HEADER = struct.Struct("<iiii")
MAX_MESSAGE_SIZE = 48_000_000

CHECKSUM_PRESENT = 1 << 0
MORE_TO_COME = 1 << 1
# Bits 0-15 are "required": a server must refuse a message with an unknown one set.
_KNOWN_REQUIRED = CHECKSUM_PRESENT | MORE_TO_COME
_QUERY_FAILURE = 1 << 1

# Naive UTC datetimes, as the server stores them; mongomock wants them naive too.
CODEC: CodecOptions[dict[str, Any]] = CodecOptions(tz_aware=False)

Document = dict[str, Any]


class ProtocolError(Exception):
    """The peer sent something that is not a message we can answer: drop the connection."""


@dataclass(frozen=True)
class Header:
    length: int
    request_id: int
    response_to: int
    op_code: int


@dataclass
class Request:
    """One decoded command, whichever opcode carried it."""

    request_id: int
    op_code: int
    body: Document
    # OP_MSG moreToCome (w:0 writes): the client waits for no reply.
    more_to_come: bool = False


def parse_header(data: bytes) -> Header:
    length, request_id, response_to, op_code = HEADER.unpack(data)
    if not HEADER.size < length <= MAX_MESSAGE_SIZE:
        raise ProtocolError(f"message length {length} out of range")
    return Header(length, request_id, response_to, op_code)


def decode(header: Header, payload: bytes) -> Request:
    try:
        if header.op_code == OP_MSG:
            return _decode_msg(header, payload)
        if header.op_code == OP_QUERY:
            return _decode_query(header, payload)
    except (struct.error, ValueError, IndexError, bson.errors.BSONError) as exc:
        raise ProtocolError(f"malformed message: {type(exc).__name__}: {exc}") from exc
    # OP_COMPRESSED is never sent: hello does not offer compression.
    raise ProtocolError(f"unsupported opcode {header.op_code}")


def _decode_msg(header: Header, payload: bytes) -> Request:
    (flags,) = struct.unpack_from("<I", payload)
    if flags & 0xFFFF & ~_KNOWN_REQUIRED:
        raise ProtocolError(f"unknown required OP_MSG flag bits {flags:#x}")
    end = len(payload) - (4 if flags & CHECKSUM_PRESENT else 0)  # the checksum is not checked
    pos = 4
    body: Document | None = None
    sequences: dict[str, list[Document]] = {}
    while pos < end:
        kind = payload[pos]
        pos += 1
        if kind == 0:
            (size,) = struct.unpack_from("<i", payload, pos)
            body = bson.decode(payload[pos : pos + size], CODEC)
            pos += size
        elif kind == 1:
            (size,) = struct.unpack_from("<i", payload, pos)
            section_end = pos + size
            name_end = payload.index(b"\x00", pos + 4)
            identifier = payload[pos + 4 : name_end].decode()
            sequences[identifier] = bson.decode_all(payload[name_end + 1 : section_end], CODEC)
            pos = section_end
        else:
            raise ProtocolError(f"unknown OP_MSG section kind {kind}")
    if body is None:
        raise ProtocolError("OP_MSG without a body section")
    # A document sequence is the body's array field of that name (e.g. insert's `documents`).
    for identifier, docs in sequences.items():
        body[identifier] = docs
    return Request(header.request_id, OP_MSG, body, bool(flags & MORE_TO_COME))


def _decode_query(header: Header, payload: bytes) -> Request:
    name_end = payload.index(b"\x00", 4)
    namespace = payload[4:name_end].decode()
    pos = name_end + 1 + 8  # numberToSkip, numberToReturn: irrelevant to a command
    (size,) = struct.unpack_from("<i", payload, pos)
    query = bson.decode(payload[pos : pos + size], CODEC)
    db, _, collection = namespace.partition(".")
    if collection != "$cmd":
        raise ProtocolError(f"OP_QUERY on {namespace!r}: only commands ($cmd) are supported")
    # Old drivers wrap the command when they add a read preference.
    if "$query" in query:
        query = dict(query["$query"])
    query.setdefault("$db", db)
    return Request(header.request_id, OP_QUERY, query)


def encode_reply(request: Request, reply: Document, request_id: int) -> bytes:
    """The reply to `request` in the opcode it came in."""
    doc = bson.encode(reply, codec_options=CODEC)
    if request.op_code == OP_QUERY:
        # A command's failure is in its document (ok: 0), not in QueryFailure.
        flags = _QUERY_FAILURE if "$err" in reply else 0
        body = struct.pack("<iqii", flags, 0, 0, 1) + doc
        op_code = OP_REPLY
    else:
        body = struct.pack("<IB", 0, 0) + doc
        op_code = OP_MSG
    return HEADER.pack(HEADER.size + len(body), request_id, request.request_id, op_code) + body
