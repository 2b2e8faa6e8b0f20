"""The slice of OData the calendar endpoints need: Prefer, $select, $filter, $expand, paging."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .calendar import ext_key
from .errors import bad_request
from .model import Event


@dataclass
class Prefer:
    timezone: str | None = None
    max_page_size: int | None = None
    immutable_ids: bool = False


def parse_prefer(request: web.Request) -> Prefer:
    out = Prefer()
    for header in request.headers.getall("Prefer", []):
        for part in re.split(r",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", header):
            name, _, value = part.strip().partition("=")
            value = value.strip().strip('"')
            lname = name.strip().lower()
            if lname == "outlook.timezone":
                out.timezone = value
            elif lname == "odata.maxpagesize" and value.isdigit():
                out.max_page_size = max(1, int(value))
            elif lname == "idtype" and value.lower() == "immutableid":
                out.immutable_ids = True
    return out


def select_of(request: web.Request) -> list[str] | None:
    raw = request.query.get("$select")
    return [s.strip() for s in raw.split(",")] if raw else None


_STR = r"'((?:[^']|'')*)'"
_ANY = re.compile(
    r"^singleValueExtendedProperties/any\(\s*(\w+)\s*:\s*(.+)\)$",
    re.IGNORECASE,
)


def _unq(text: str) -> str:
    return text.replace("''", "'")


def _ext_predicate(var: str, expr: str) -> Callable[[Event], bool]:
    v = re.escape(var)
    id_match = re.search(rf"{v}/id\s+eq\s+{_STR}", expr, re.IGNORECASE)
    if not id_match:
        raise bad_request("Invalid filter clause", "ErrorInvalidUrlQueryFilter")
    key = ext_key(_unq(id_match.group(1)))
    rest = (expr[: id_match.start()] + expr[id_match.end() :]).strip()
    rest = re.sub(r"^and\s+|\s+and$", "", rest, flags=re.IGNORECASE).strip()
    if not rest:
        return lambda ev: key in ev.ext
    m = re.fullmatch(rf"{v}/value\s+(eq|ne)\s+{_STR}", rest, re.IGNORECASE)
    if m:
        op, want = m.group(1).lower(), _unq(m.group(2)).lower()
        if op == "eq":
            return lambda ev: key in ev.ext and ev.ext[key].lower() == want
        return lambda ev: key in ev.ext and ev.ext[key].lower() != want
    m = re.fullmatch(rf"(contains|startswith)\(\s*{v}/value\s*,\s*{_STR}\s*\)", rest, re.IGNORECASE)
    if m:
        fn, want = m.group(1).lower(), _unq(m.group(2)).lower()
        if fn == "contains":
            return lambda ev: key in ev.ext and want in ev.ext[key].lower()
        return lambda ev: key in ev.ext and ev.ext[key].lower().startswith(want)
    raise bad_request("Invalid filter clause", "ErrorInvalidUrlQueryFilter")


def parse_filter(text: str | None) -> Callable[[Event], bool] | None:
    """Supported: the extended-property Any() form, iCalUId eq, transactionId eq, type eq."""
    if not text:
        return None
    text = text.strip()
    m = _ANY.match(text)
    if m:
        return _ext_predicate(m.group(1), m.group(2))
    m = re.fullmatch(rf"(iCalUId|transactionId|subject|type)\s+eq\s+{_STR}", text, re.IGNORECASE)
    if m:
        field, want = m.group(1).lower(), _unq(m.group(2))
        getters: dict[str, Callable[[Event], Any]] = {
            "icaluid": lambda ev: ev.ical_uid,
            "transactionid": lambda ev: ev.transaction_id,
            "subject": lambda ev: ev.props.get("subject"),
            "type": lambda ev: "seriesMaster" if ev.is_series else "singleInstance",
        }
        get = getters[field]
        return lambda ev: get(ev) == want
    raise bad_request(
        f"Invalid filter clause: the simulator does not support '{text}'.",
        "ErrorInvalidUrlQueryFilter",
    )


def expand_ext(request: web.Request) -> list[str] | None:
    """$expand=singleValueExtendedProperties($filter=id eq '...') -> normalised ids to include."""
    raw = request.query.get("$expand")
    if not raw:
        return None
    m = re.fullmatch(
        r"\s*singleValueExtendedProperties\s*(?:\(\s*\$filter\s*=\s*(.+)\))?\s*", raw, re.IGNORECASE
    )
    if not m:
        raise bad_request(
            f"Parsing OData Select and Expand failed: could not find a property named '{raw}'.",
            "BadRequest",
        )
    if m.group(1) is None:
        return []
    ids = re.findall(rf"id\s+eq\s+{_STR}", m.group(1), re.IGNORECASE)
    if not ids:
        raise bad_request("Invalid filter clause", "ErrorInvalidUrlQueryFilter")
    return [ext_key(_unq(i)) for i in ids]


def add_ext(item: dict[str, Any], ev: Event, wanted: list[str] | None) -> dict[str, Any]:
    if wanted is None:
        return item
    keys = [k for k in ev.ext if not wanted or k in wanted]
    if keys:
        item["singleValueExtendedProperties@odata.context"] = "singleValueExtendedProperties"
        item["singleValueExtendedProperties"] = [
            {"id": ev.ext_ids[k], "value": ev.ext[k]} for k in keys
        ]
    return item


def page(
    request: web.Request, items: list[dict[str, Any]], default_size: int
) -> tuple[list[dict[str, Any]], str | None]:
    """$top / Prefer odata.maxpagesize paging with $skip in the nextLink."""
    prefer = parse_prefer(request)
    size = default_size
    if "$top" in request.query:
        try:
            size = max(1, int(request.query["$top"]))
        except ValueError:
            raise bad_request("Invalid $top value.", "BadRequest") from None
    if prefer.max_page_size:
        size = min(size, prefer.max_page_size) if "$top" in request.query else prefer.max_page_size
    try:
        skip = int(request.query.get("$skip", "0"))
    except ValueError:
        raise bad_request("Invalid $skip value.", "BadRequest") from None
    chunk = items[skip : skip + size]
    next_link = None
    if skip + size < len(items):
        next_link = str(request.url.update_query({"$skip": str(skip + size)}))
    return chunk, next_link
