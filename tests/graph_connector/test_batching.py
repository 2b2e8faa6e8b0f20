"""Several occurrences cancelled by one write go in one `$batch` call, not one DELETE each."""

from __future__ import annotations

from datetime import timedelta

from kakehashi.contracts.event import Frequency, Recurrence, Weekday
from kakehashi.contracts.messages import CommandOp, CommandOutcome
from tests.graph_connector.support import harness, next_monday, normalized

SATO = "sato@contoso.example"


async def test_a_series_made_with_three_dates_left_out_cancels_them_in_one_batch() -> None:
    async with harness() as h:
        first = next_monday()
        gone = tuple(first + timedelta(days=7 * k) for k in (1, 2, 4))
        rule = Recurrence(
            frequency=Frequency.WEEKLY,
            weekdays=(Weekday.MO,),
            start_date=first,
            count=6,
            excluded=gone,
        )
        cmd = h.command(CommandOp.CREATE, event=normalized("Weekly", first, recurrence=rule))
        h.sim.request_log.clear()
        await h.send(cmd)
        result = await h.result_of(cmd)
        assert result.outcome == CommandOutcome.OK
        assert result.target_id is not None
        # The request log also lists each request inside a batch, marked as such.
        sent = [f"{r['method']} {r['path']}" for r in h.sim.request_log if not r["batch"]]
        inner = [r["method"] for r in h.sim.request_log if r["batch"]]
        assert sent.count("POST /v1.0/$batch") == 1
        assert not [m for m in sent if m.startswith("DELETE ")]
        assert inner == ["DELETE"] * 3
        # What a person sees: six Mondays but the three left out.
        master = h.sim.raw_event(SATO, result.target_id)
        rows = h.sim.calendar.instances(master, master.start, master.start + timedelta(days=60))
        days = {start.date() for _, start, _, _ in rows}
        assert len(days) == 3
        assert not set(gone) & days
