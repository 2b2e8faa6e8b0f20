"""A stored canary so a wrong encryption key is caught at start-up, not at the first secret."""

from __future__ import annotations

from contextlib import suppress

from pydantic import SecretStr

from kakehashi.store.backend import Database
from kakehashi.store.codec import Codec
from kakehashi.store.crypto import SecretBox
from kakehashi.store.errors import DuplicateKey

_COLLECTION = "meta"
_ID = "encryption-key-check"
_FIELD = "canary"


async def check_key(db: Database, box: SecretBox) -> None:
    """Raise DecryptionError if this database's secrets were encrypted with another key."""
    coll = db.collection(_COLLECTION)
    codec = Codec(box, _COLLECTION)
    doc = await coll.find_one({"_id": _ID})
    if doc is None:
        # Another replica may write it first: then check against theirs.
        with suppress(DuplicateKey):
            await coll.insert_one({"_id": _ID, _FIELD: codec.value(SecretStr(_ID), _FIELD)})
        doc = await coll.find_one({"_id": _ID})
    if doc is not None:
        codec.read_value(doc[_FIELD], _FIELD)
