"""Memo <-> body: HTML <-> text, and the Kakehashi block.

The block carries what the other side has no field for (company info, unlinked participants,
unmapped facilities, the Teams link). It is rendered identically every time and parsed back
out, so re-rendering never reads as a user edit (no ping-pong).
"""

from __future__ import annotations

import html
import itertools
import re

BLOCK_START = "---- Kakehashi ----"
BLOCK_END = "---- /Kakehashi ----"
_START_LINE = re.compile(rf"(?m)^{re.escape(BLOCK_START)}$")
_END_LINE = re.compile(rf"(?m)^{re.escape(BLOCK_END)}$")
_TAG = re.compile(r"<[^>]+>")
_DROP = re.compile(r"<(head|style|script)\b.*?</\1\s*>", re.S | re.I)
_BREAK = re.compile(r"<br\s*/?>|</(p|div|li|tr|h\d)\s*>", re.I)
# Teams' join block sits between two rules of underscores (Outlook: 80; the simulator once
# wrote 16). A rule may stand on its own line or be glued to the text before or after it
# (an HTML body without a block break before the block).
_TEAMS_RULE = re.compile(r"_{10,}")
_TEAMS_MARKS = ("teams.microsoft.com", "Microsoft Teams")


def normalize_text(text: str) -> str:
    """One spelling per text: LF newlines, no trailing spaces, no blank edges."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def text_to_html(text: str) -> str:
    # pre-wrap keeps spaces, so html_to_text gives the same text back.
    inner = "<br>".join(html.escape(ln, quote=False) for ln in text.split("\n"))
    return f'<html><body><div style="white-space:pre-wrap">{inner}</div></body></html>'


def html_to_text(markup: str) -> str:
    s = _DROP.sub("", markup)
    s = s.replace("\r", "").replace("\n", "")  # source formatting, not content
    s = _BREAK.sub("\n", s)
    s = _TAG.sub("", s)
    # Outlook pads with &nbsp; entities; a literal U+00A0 typed by a user is content.
    return normalize_text(html.unescape(s.replace("&nbsp;", " ")))


def strip_teams_blob(text: str) -> str:
    """Drop the join block Teams writes between two underscore rules (we carry join_url).

    Works on text (an HTML body goes through `html_to_text` first): the first pair of
    consecutive rules (runs of >= 10 underscores) enclosing a Teams mark is cut out, with the
    line breaks around it; text glued to a rule stays, on its own line."""
    rules = list(_TEAMS_RULE.finditer(text))
    for first, last in itertools.pairwise(rules):
        chunk = text[first.end() : last.start()]
        if any(mark in chunk for mark in _TEAMS_MARKS):
            before = text[: first.start()].rstrip()
            after = text[last.end() :].lstrip()
            joined = f"{before}\n{after}" if before and after else before or after
            return normalize_text(joined)
    return text


def render(text: str, items: list[tuple[str, str]]) -> str:
    """Body text followed by the block (omitted when there is nothing to carry)."""
    if not items:
        return text
    block = "\n".join([BLOCK_START, *(f"{k}: {v}" for k, v in items), BLOCK_END])
    return f"{text}\n\n{block}" if text else block


def parse(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(body without the block, block items). The last block wins; others stay text."""
    text = normalize_text(text)
    # Markers count on lines of their own only (a value may spell a marker, e.g. a phone
    # field holding "---- Kakehashi ----").
    starts = [m.start() for m in _START_LINE.finditer(text)]
    start = starts[-1] if starts else -1
    found = _END_LINE.search(text, start) if start >= 0 else None
    end = found.start() if found else -1
    if start < 0 or end < 0:
        return text, []
    items = []
    for ln in text[start + len(BLOCK_START) : end].split("\n"):
        key, sep, value = ln.partition(": ")
        if sep:
            items.append((key.strip(), value.strip()))
    rest = text[:start] + text[end + len(BLOCK_END) :]
    return normalize_text(rest), items
