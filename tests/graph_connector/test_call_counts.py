"""API economy of commands: what each write costs in Graph calls (simulator request log).

Graph answers a create (201) and an update (200) with the event, so neither is read back.
"""

from __future__ import annotations

from collections import Counter

from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.graph_connector.support import Harness, graph_body, harness, next_monday, normalized

SATO = "sato@contoso.example"
EVENTS = "/v1.0/users/{user}/events"
EVENT = f"{EVENTS}/{{event}}"


def calls(h: Harness) -> Counter[str]:
    # Token requests are the client's business (cached), not the write's.
    log = [r for r in h.sim.request_log if r["path"].startswith("/v1.0/")]
    return Counter(f"{r['method']} {r['endpoint']}" for r in log)


async def test_create_looks_for_an_earlier_copy_then_posts_once() -> None:
    async with harness() as h:
        cmd = h.command(CommandOp.CREATE, event=normalized("Counted", next_monday()))
        h.sim.request_log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert calls(h) == Counter({f"GET {EVENTS}": 1, f"POST {EVENTS}": 1})
        [made] = h.mailbox()
        # What the answer to the POST reported is what Graph holds (and will notify).
        assert result.new_version == made["changeKey"]
        assert result.ical_uid == made["iCalUId"]


async def test_update_reads_once_and_patches_once() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(SATO, graph_body("Before", day))
        cmd = h.command(
            CommandOp.UPDATE,
            event=normalized("After", day),
            target_id=made["id"],
            base_version=made["changeKey"],
            fields=["title"],
        )
        h.sim.request_log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert calls(h) == Counter({f"GET {EVENT}": 1, f"PATCH {EVENT}": 1})
        [now] = h.mailbox()
        assert result.new_version == now["changeKey"] != made["changeKey"]
        assert result.event is not None
        assert result.event.title == "After"


async def test_an_update_that_changes_nothing_only_reads() -> None:
    async with harness() as h:
        day = next_monday()
        made = h.sim.person_create(SATO, graph_body("Same", day))
        cmd = h.command(
            CommandOp.UPDATE, event=normalized("Same", day), target_id=made["id"], fields=["title"]
        )
        h.sim.request_log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert calls(h) == Counter({f"GET {EVENT}": 1})
        assert result.new_version == made["changeKey"]
