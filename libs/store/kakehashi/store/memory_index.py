"""Hash indexes for the in-memory store: equality lookups and unique checks without a scan.

Every index ensured on a collection maps the tuple of its key values to the `_id`s holding
them (a missing field counts as null, as in MongoDB). What is only a hint here is decided by
mongomock's matcher: candidates are a superset, `filter_applies` picks the real matches.
Documents whose key holds an array or an embedded document (multikey on the server) are kept
aside and are candidates for every lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

from mongomock import filtering, helpers

from kakehashi.store.backend import Document, IndexSpec

# mongomock's helpers are untyped: the signatures relied on here and in memory.py.
filter_applies: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] = filtering.filter_applies
sort_key: Callable[[str, Mapping[str, Any]], Any] = filtering.resolve_sort_key
# Stored form: naive UTC datetimes at millisecond precision, in fresh dicts and lists.
stored: Callable[[Any], Any] = helpers.patch_datetime_awareness_in_document
# Handed-out form: datetimes back to aware UTC, again in fresh dicts and lists.
aware: Callable[[Any], Any] = helpers.make_datetime_timezone_aware_in_document

Key = tuple[Any, ...]
_ODD = object()  # a key value no hash can stand for


def _value(doc: Mapping[str, Any], path: str) -> Any:
    current: Any = doc
    for part in path.split("."):
        if isinstance(current, list):
            return _ODD
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return _plain(current)


def _plain(value: Any) -> Any:
    """`value` when hashing stands for MongoDB's equality on it, else _ODD."""
    if isinstance(value, list | Mapping | re.Pattern) or not isinstance(value, Hashable):
        return _ODD
    if isinstance(value, float) and value != value:  # NaN equals NaN in a query
        return _ODD
    return value


def _probe(flt: Mapping[str, Any], path: str) -> Any:
    """The value `flt` asks `path` to equal, or _ODD when it asks anything else."""
    return _plain(flt[path]) if path in flt else _ODD


class HashIndex:
    def __init__(self, spec: IndexSpec) -> None:
        self.spec = spec
        self.fields = tuple(field for field, _ in spec.keys)
        self.partial = None if spec.partial is None else stored(spec.partial)
        self._buckets: dict[Key, set[Any]] = {}
        self._odd: set[Any] = set()

    def key_of(self, doc: Mapping[str, Any]) -> Key | None:
        key = tuple(_value(doc, f) for f in self.fields)
        return None if any(v is _ODD for v in key) else key

    def add(self, doc_id: Any, doc: Mapping[str, Any]) -> None:
        key = self.key_of(doc)
        if key is None:
            self._odd.add(doc_id)
        else:
            self._buckets.setdefault(key, set()).add(doc_id)

    def remove(self, doc_id: Any, doc: Mapping[str, Any]) -> None:
        key = self.key_of(doc)
        if key is None:
            self._odd.discard(doc_id)
            return
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.discard(doc_id)
            if not bucket:
                del self._buckets[key]

    def lookup(self, flt: Mapping[str, Any]) -> set[Any] | None:
        """Candidate ids for a filter naming every key field by equality, else None."""
        key = tuple(_probe(flt, f) for f in self.fields)
        if any(v is _ODD for v in key):
            return None
        return self._buckets.get(key, set()) | self._odd

    def clashes(self, doc_id: Any, doc: Document, docs: Mapping[Any, Document]) -> bool:
        """True when this unique index already holds `doc`'s key for another document: the
        check mongomock made by scanning (partial filter and key equality), on candidates."""
        if self.partial is not None and not filter_applies(self.partial, doc):
            return False
        key = self.key_of(doc)
        others: Iterable[Any] = docs if key is None else self._buckets.get(key, set()) | self._odd
        wanted = {f: _raw(doc, f) for f in self.fields}
        for other_id in others:
            if other_id == doc_id:
                continue
            other = docs[other_id]
            if self.partial is not None and not filter_applies(self.partial, other):
                continue
            if filter_applies(wanted, other):
                return True
        return False


def _raw(doc: Mapping[str, Any], path: str) -> Any:
    """The value at `path`, None when missing (as mongomock's unique check reads it)."""
    current: Any = doc
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return None
        current = current[part]
    return current
