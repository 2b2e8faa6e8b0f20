"""API economy of commands: what each write costs in Garoon calls (simulator request log)."""

from __future__ import annotations

from collections import Counter

from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.garoon_connector.support import Harness, harness, normalized, rest_event, soon

EVENTS = "/api/v1/schedule/events"
EVENT = f"{EVENTS}/{{id}}"
MARKER = f"{EVENT}/datastore/{{name}}"


def calls(h: Harness) -> Counter[str]:
    return Counter(str(e["endpoint"]) for e in h.sim.log.entries if e["path"].startswith("/g/"))


async def test_create_posts_event_and_marker_then_reads_once() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("Counted", soon()))
        h.sim.log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        # No read before the marker (a new event has none) and no failing PUT first.
        assert calls(h) == Counter({f"POST {EVENTS}": 1, f"POST {MARKER}": 1, f"GET {EVENT}": 1})


async def test_update_reads_the_marker_once() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(rest_event("Before", day))
        cmd = h.command(
            CommandOp.UPDATE, event=normalized("After", day), target_id=eid, fields=["title"]
        )
        h.sim.log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert calls(h) == Counter({f"GET {EVENT}": 2, f"GET {MARKER}": 1, f"PATCH {EVENT}": 1})
