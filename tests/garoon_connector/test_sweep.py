"""The reconciliation sweep: changes without hints, deletions, the mass-delete guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from prometheus_client import REGISTRY

from kakehashi.garoon_client import GaroonClient
from kakehashi.garoon_sim import FaultRule
from tests.garoon_connector.support import Harness, harness, normalized, rest_event, soon
from tests.support.waiting import wait_until


def blocked() -> float:
    value = REGISTRY.get_sample_value("kakehashi_mass_delete_blocked_total", {"side": "garoon"})
    return value or 0.0


@asynccontextmanager
async def as_sato(h: Harness) -> AsyncIterator[GaroonClient]:
    """Sato's own REST client: writes that fire no browser hint (API, mobile)."""
    async with aiohttp.ClientSession() as session:
        yield GaroonClient(
            session,
            h.srv.base_url,
            login="sato",
            password="sato-pw",
            basic_auth=("web", "front-pw"),
        )


async def test_rest_edit_without_hint_is_caught_by_the_sweep() -> None:
    async with harness() as h:
        day = soon()
        quiet = h.person_create(rest_event("Untouched", day, hour=9))
        busy = h.person_create(rest_event("Before", day, hour=13))
        first = await h.connector.sweeper.sweep_user(h.sato)
        assert first.ok
        assert first.observed == 2
        assert first.listed == 2
        async with as_sato(h) as sato:
            current = await sato.get_event(busy)
            await sato.update_event(
                busy, {"subject": "After", "start": current["start"], "end": current["end"]}
            )
        second = await h.connector.sweeper.sweep_user(h.sato)
        assert second.observed == 1
        await wait_until(lambda: len(h.observed) == 3, message="three observations")
        latest = h.about(busy)[-1]
        assert latest.event is not None
        assert latest.event.title == "After"
        assert len(h.about(quiet)) == 1  # unchanged since the watermark: not observed again
        third = await h.connector.sweeper.sweep_user(h.sato)
        assert third.observed == 0


async def test_deletion_is_found_when_an_event_really_disappears() -> None:
    async with harness() as h:
        day = soon()
        keep = h.person_create(rest_event("Keep", day, hour=9))
        gone = h.person_create(rest_event("Gone", day, hour=13))
        await h.mapped(keep, normalized("Keep", day, hour=9))
        await h.mapped(gone, normalized("Gone", day, hour=13))
        async with as_sato(h) as sato:
            await sato.delete_event(gone)
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 1
        assert not report.blocked
        await wait_until(lambda: len(h.observed) == 2, message="one event + one delete")
        [obs] = [o for o in h.about(gone) if o.deleted]
        assert obs.user_link_id == h.sato.id
        assert not any(o.deleted for o in h.about(keep))


async def test_guard_blocks_deletes_when_the_listing_comes_back_empty() -> None:
    async with harness() as h:
        day = soon()
        ids = [h.person_create(rest_event(f"E{i}", day, hour=8 + i)) for i in range(3)]
        for i, eid in enumerate(ids):
            await h.mapped(eid, normalized(f"E{i}", day, hour=8 + i))
        h.sim.events.clear()  # e.g. a permission change hides the whole schedule
        before = blocked()
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 0
        assert "empty" in report.blocked
        assert report.observed == 0
        assert not any(o.deleted for o in h.observed)
        assert blocked() == before + 1


async def test_guard_blocks_deletes_when_the_listing_fails() -> None:
    async with harness() as h:
        day = soon()
        eid = h.person_create(rest_event("Mapped", day))
        await h.mapped(eid, normalized("Mapped", day))
        h.sim.add_fault(FaultRule(path="/api/v1/schedule/events", method="GET", status=500))
        before = blocked()
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert not report.ok
        assert "failed" in report.blocked
        assert h.observed == []
        assert blocked() == before + 1


async def test_guard_blocks_too_many_deletes() -> None:
    async with harness() as h:
        day = soon()
        survivor = h.person_create(rest_event("Survivor", day, hour=7))
        await h.mapped(survivor, normalized("Survivor", day, hour=7))
        for i in range(7):  # the default threshold is 5
            eid = h.person_create(rest_event(f"D{i}", day, hour=8 + i))
            await h.mapped(eid, normalized(f"D{i}", day, hour=8 + i))
            h.sim.events.pop(int(eid))
        before = blocked()
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.deleted == 0
        assert "threshold" in report.blocked
        assert blocked() == before + 1


async def test_resync_request_observes_the_whole_window() -> None:
    async with harness() as h:
        day = soon()
        ids = {h.person_create(rest_event(f"R{i}", day, hour=9 + i)) for i in range(2)}
        await h.connector.sweeper.sweep_user(h.sato)  # watermark set
        request = h.resync()
        await h.send(request)
        got = await h.observations_of(request, count=2)
        assert {o.source_id for o in got} == ids


async def test_background_sweep_runs_and_hint_with_range_wakes_it() -> None:
    async with harness() as h:
        h.connector.sweeper.interval = 3600.0  # only a wake-up can make it sweep now
        h.connector.sweeper.catch_up = None
        h.connector.sweeper.start()
        eid = h.person_create(rest_event("Woken", soon()))
        h.connector.sweeper.wake(h.sato.id)
        await wait_until(lambda: h.about(eid), message="sweep observation")


async def test_a_start_catches_up_on_hints_lost_while_down() -> None:
    async with harness() as h:
        # Written while the connector was down: its hint went nowhere and is never resent.
        eid = h.person_create(rest_event("While down", soon()))
        h.connector.sweeper.interval = 3600.0  # its regular slot may be an hour away
        h.connector.sweeper.catch_up = 0.5
        h.connector.sweeper.start()
        await wait_until(lambda: h.about(eid), timeout=5, message="caught up at start")


async def test_an_event_synced_while_the_listing_runs_is_not_taken_for_a_mass_delete(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The listing cannot show what was created after it was read: the new mapping must not
    # make an empty calendar look emptied (no alert, no batch held for an administrator).
    async with harness() as h:
        view = await h.connector.cache.get("t1")
        real = view.client.list_events

        async def listing_then_a_new_event(**kwargs: Any) -> Any:
            rows = await real(**kwargs)
            day = soon()
            eid = h.person_create(rest_event("Just synced", day))
            await h.mapped(eid, normalized("Just synced", day))
            return rows

        monkeypatch.setattr(view.client, "list_events", listing_then_a_new_event)
        before = blocked()
        report = await h.connector.sweeper.sweep_user(h.sato)
        assert report.ok
        assert not report.blocked
        assert report.deleted == 0
        assert blocked() == before
        assert await h.store.held_deletes.get(h.sato.id, "garoon") is None
