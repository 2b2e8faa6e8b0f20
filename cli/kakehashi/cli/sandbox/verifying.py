"""The verify report: every user's comparison, totals, and a text rendering."""

from __future__ import annotations

from typing import Any

from kakehashi.cli.sandbox.manifest import Manifest
from kakehashi.cli.sandbox.reader import Window, check_all

KINDS = ("missing_in_graph", "missing_in_garoon", "differing", "duplicates", "unreadable")


async def verify(m: Manifest, *, days: int = 60, past_days: int = 0) -> dict[str, Any]:
    window = Window.around_today(m.tenant.time_zone, past_days, days)
    users = [r.as_dict() for r in await check_all(m, window)]
    totals = {kind: sum(len(u[kind]) for u in users) for kind in KINDS}
    return {
        "clean": all(u["clean"] for u in users),
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat()},
        "totals": totals,
        "users": users,
    }


def render_text(report: dict[str, Any]) -> str:
    lines = []
    for u in report["users"]:
        state = "ok" if u["clean"] else "NOT CONVERGED"
        lines.append(
            f"{u['user']} ⇄ {u['email']}: {state} "
            f"(Garoon {u['garoon_events']}, Microsoft 365 {u['graph_events']})"
        )
        for item in u["missing_in_graph"]:
            lines.append(f"  missing in Microsoft 365: Garoon {_item(item)}")
        for item in u["missing_in_garoon"]:
            lines.append(f"  missing in Garoon: Microsoft 365 {_item(item)}")
        for item in u["differing"]:
            fields = ", ".join(
                f"{name} {v['garoon']!r} ≠ {v['graph']!r}" for name, v in item["fields"].items()
            )
            ids = f"Garoon {item['garoon_id']} / Microsoft 365 {item['graph_id']}"
            lines.append(f"  differing: {ids}: {fields}")
        for item in u["duplicates"]:
            lines.append(
                f"  duplicated in {item['side']}: {item['ids']} {item['title']!r} {item['start']}"
            )
        for item in u["unreadable"]:
            lines.append(f"  unreadable on {item['side']}: {item['id']} ({item['error']})")
    t = report["totals"]
    verdict = "clean" if report["clean"] else "NOT clean"
    lines.append(
        f"{verdict}: {t['missing_in_graph']} missing in Microsoft 365, {t['missing_in_garoon']} "
        f"missing in Garoon, {t['differing']} differing, {t['duplicates']} duplicated"
    )
    return "\n".join(lines)


def _item(item: dict[str, Any]) -> str:
    return f"{item['id']} {item['title']!r} {item['start']}"
