"""An in-memory MongoDB server: the MongoDB wire protocol over mongomock, so that several
processes (each service of `kakehashi sandbox --processes`) share one store through the real
`pymongo.AsyncMongoClient`.

Faithful where the store relies on it: OP_MSG framing, the handshake of a standalone 7.0 server
(OP_QUERY too, for old drivers), CRUD with the server's reply shapes (n, nModified, upserted,
writeErrors), cursors with getMore, unique and partial unique indexes with the server's error
codes (11000 -> DuplicateKeyError; 85/86 index conflicts), and one command at a time, so every
single-document write is atomic across clients.

Not a database: no authentication, no TLS, no transactions (refused with code 115), no
replication or change streams, no persistence (everything is lost when it stops), no
compression. TTL indexes are kept and reported but there is no background expiry: mongomock
drops an expired document only when its collection is next read, so do not rely on TTL timing.
Queries scan (indexes are not used for speed), through mongomock's query language, whose gaps
answer as errors (code 115) rather than wrong results where mongomock says so.
"""

from kakehashi.mongo_sim.server import MongoSimServer

__all__ = ["MongoSimServer"]
