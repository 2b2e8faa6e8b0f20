"""Read every linked user's events on both sides through the real APIs (for verify and bench)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp

from kakehashi.cli.sandbox.clients import garoon_client, graph_client, http_session
from kakehashi.cli.sandbox.converge import Occurrence, UserReport, compare, occurrence
from kakehashi.cli.sandbox.manifest import Manifest, UserEntry
from kakehashi.engine.translate.context import TranslationContext
from kakehashi.engine.translate.garoon_rest import from_garoon
from kakehashi.engine.translate.graph import from_graph
from kakehashi.graph_client import GraphClient


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    @classmethod
    def around_today(cls, tz: str, past_days: int, days: int) -> Window:
        """From local midnight `past_days` ago to `days` ahead (sync scope starts today)."""
        zone = ZoneInfo(tz)
        today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(today - timedelta(days=past_days), today + timedelta(days=days))


def translation_context(m: Manifest) -> TranslationContext:
    return TranslationContext(
        facility_rooms={r.code: r.email for r in m.rooms},
        menu_categories={menu: menu for menu in m.menus},
        users={u.login: u.email for u in m.users},
        default_zone=m.tenant.time_zone,
    )


async def read_garoon(
    m: Manifest, http: aiohttp.ClientSession, user: UserEntry, window: Window
) -> list[dict[str, Any]]:
    """As the user: private events included, one row per occurrence."""
    client = garoon_client(m, http, user)
    return await client.list_events(range_start=window.start, range_end=window.end)


async def read_graph(graph: GraphClient, user: UserEntry, window: Window) -> list[dict[str, Any]]:
    items = await graph.calendar_view(user.graph_id, window.start, window.end)
    # Cancelled meeting copies stay in an attendee's calendar until removed: not an event.
    return [i for i in items if not i.get("isCancelled")]


def _occurrences(
    side: str, rows: list[dict[str, Any]], ctx: TranslationContext, report: UserReport
) -> list[Occurrence]:
    owner = report.email
    out = []
    for row in rows:
        rid = str(row.get("id"))
        if side == "garoon" and row.get("repeatInfo"):
            rid = f"{rid}@{str((row.get('start') or {}).get('dateTime', ''))[:10]}"
        try:
            ev = from_garoon(row, ctx) if side == "garoon" else from_graph(row, ctx)
        except Exception as exc:  # one odd event must not hide the rest of the report
            report.unreadable.append({"side": side, "id": rid, "error": repr(exc)[:200]})
            continue
        out.append(occurrence(side, rid, ev, owner))
    return out


async def check_user(
    m: Manifest,
    http: aiohttp.ClientSession,
    graph: GraphClient,
    user: UserEntry,
    window: Window,
    ctx: TranslationContext,
) -> UserReport:
    report = UserReport(user=user.login, email=user.email)
    garoon_rows, graph_rows = await asyncio.gather(
        read_garoon(m, http, user, window), read_graph(graph, user, window)
    )
    return compare(
        report,
        _occurrences("garoon", garoon_rows, ctx, report),
        _occurrences("graph", graph_rows, ctx, report),
    )


async def check_all(m: Manifest, window: Window, concurrency: int = 4) -> list[UserReport]:
    ctx = translation_context(m)
    slots = asyncio.Semaphore(concurrency)
    async with http_session(m) as http, graph_client(m, http) as graph:

        async def one(user: UserEntry) -> UserReport:
            async with slots:
                return await check_user(m, http, graph, user, window, ctx)

        return list(await asyncio.gather(*(one(u) for u in m.users)))
