"""Building Graph write bodies from a normalized event (the engine's translation, trimmed)."""

from __future__ import annotations

import re
from typing import Any

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.engine.translate import graph as graph_translate
from kakehashi.engine.translate.context import TranslationContext

JSON = dict[str, Any]

# Properties `to_graph` produces that a write must not send: read-only on Graph, or switched on
# deliberately elsewhere (Teams only through the TEAMS_MEETING command: setting isOnlineMeeting
# on a create would mint a second, different meeting).
_NEVER_WRITE = (
    "originalStart",
    "originalStartTimeZone",
    "originalEndTimeZone",
    "isOnlineMeeting",
    "onlineMeetingProvider",
)
_RULE = re.compile(r"_{10,}")


def resource(ev: NormalizedEvent, translation: TranslationContext) -> JSON:
    """The writable Graph properties for `ev`."""
    out = graph_translate.graph_write_body(graph_translate.to_graph(ev, translation))
    for name in _NEVER_WRITE:
        out.pop(name, None)
    if out.get("recurrence") is None:
        out.pop("recurrence", None)
    return out


def teams_block(content: str) -> str:
    """The join block Teams put into an online meeting's HTML body ('' when there is none).

    graph-api.md §1.6: rewriting the body of an online meeting without this block breaks the
    meeting, so a body update carries it over.
    """
    rules = list(_RULE.finditer(content))
    if len(rules) < 2:
        return ""
    start = content.rfind("<div", 0, rules[0].start())
    close = content.find("</div>", rules[-1].end())
    if start < 0 or close < 0:
        return ""
    chunk = content[start : close + len("</div>")]
    if "teams.microsoft.com" not in chunk and "Microsoft Teams" not in chunk:
        return ""
    return chunk


def with_block(html: str, block: str) -> str:
    if not block:
        return html
    if "</body>" in html:
        return html.replace("</body>", block + "</body>", 1)
    return html + block


def attendees_of(raw: JSON, kind: str) -> list[JSON]:
    """Attendees of one kind ('resource' or people) as a write body lists them."""
    out = []
    for a in raw.get("attendees") or []:
        is_resource = a.get("type") == "resource"
        if is_resource == (kind == "resource"):
            mail = a.get("emailAddress") or {}
            address = {"name": mail.get("name") or "", "address": mail.get("address")}
            out.append({"type": a.get("type") or "required", "emailAddress": address})
    return out
