"""ResyncRequest: calendarView delta recovers changes no notification told us about."""

from __future__ import annotations

import json
from datetime import timedelta

from kakehashi.graph_connector.resync import DELTA_NAME
from tests.graph_connector.support import TENANT, graph_body, harness, next_monday

SATO = "sato@contoso.example"


async def test_delta_recovers_a_missed_change_and_a_missed_delete() -> None:
    async with harness() as h:
        day = next_monday()
        a = h.sim.person_create(SATO, graph_body("A", day))
        b = h.sim.person_create(SATO, graph_body("B", day + timedelta(days=1)))
        first = h.resync()
        await h.send(first)
        got = await h.observations_of(first, count=2)
        assert {o.source_id for o in got} == {a["id"], b["id"]}
        stored = await h.store.delta_links.get(h.sato.id, DELTA_NAME)
        assert stored is not None
        assert "$deltatoken" in json.loads(stored)["link"]
        # Changes made while notifications were lost ("missed").
        h.sim.person_update(SATO, a["id"], {"subject": "A edited"})
        h.sim.person_delete(SATO, b["id"])
        second = h.resync()
        await h.send(second)
        got = await h.observations_of(second, count=2)
        by_id = {o.source_id: o for o in got}
        assert set(by_id) == {a["id"], b["id"]}  # only what changed
        edited = by_id[a["id"]].event
        assert edited is not None
        assert edited.title == "A edited"
        assert by_id[b["id"]].deleted is True
        deltas = [r for r in h.sim.request_log if r["path"].endswith("/calendarView/delta")]
        assert "$deltatoken" in deltas[-1]["query"]


async def test_an_event_moved_out_of_the_window_is_not_a_deletion() -> None:
    async with harness() as h:
        made = h.sim.person_create(SATO, graph_body("Far", next_monday()))
        first = h.resync()
        await h.send(first)
        await h.observations_of(first)
        far = next_monday() + timedelta(days=800)  # beyond the repeat window
        h.sim.person_update(SATO, made["id"], graph_body("Far", far))
        second = h.resync()
        await h.send(second)
        [obs] = await h.observations_of(second)
        assert obs.deleted is False
        assert obs.event is not None
        assert obs.event.start is not None
        assert obs.event.start.date() == far


async def test_an_expired_delta_token_means_a_full_resync() -> None:
    async with harness() as h:
        made = h.sim.person_create(SATO, graph_body("Kept", next_monday()))
        first = h.resync()
        await h.send(first)
        await h.observations_of(first)
        h.sim.delta_states.clear()  # the server forgot every token
        h.sim.person_update(SATO, made["id"], {"subject": "Kept, edited"})
        second = h.resync()
        await h.send(second)
        [obs] = await h.observations_of(second)
        assert obs.source_id == made["id"]
        assert obs.event is not None
        assert obs.event.title == "Kept, edited"
        statuses = [
            r["status"] for r in h.sim.request_log if r["path"].endswith("/calendarView/delta")
        ]
        assert 410 in statuses
        assert statuses[-1] == 200


async def test_series_in_delta_are_read_from_the_master() -> None:
    async with harness() as h:
        first = next_monday()
        weekly = {
            "pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
            "range": {"type": "numbered", "startDate": first.isoformat(), "numberOfOccurrences": 3},
        }
        master = h.sim.person_create(SATO, graph_body("Weekly", first, recurrence=weekly))
        req = h.resync()
        await h.send(req)
        [obs] = await h.observations_of(req)  # thin occurrences -> one master observation
        assert obs.source_id == master["id"]
        assert obs.event is not None
        assert obs.event.recurrence is not None
        assert obs.event.recurrence.count == 3


async def test_every_round_observes_an_unchanged_event_anew() -> None:
    # The daily window roll re-reads events nobody changed; its observations must reach the
    # translator (not be dropped as the first round's) so an exploded series brings in the
    # occurrences that entered the window.
    async with harness() as h:
        made = h.sim.person_create(SATO, graph_body("Same", next_monday()))
        first = h.resync()
        await h.send(first)
        [one] = await h.observations_of(first)
        # A new window (a longer repeat window here; the next day in production).
        tenant = await h.store.tenants.get(TENANT)
        assert tenant is not None
        policy = tenant.policy.model_copy(update={"repeat_window_days": 400})
        await h.store.tenants.put(tenant.model_copy(update={"policy": policy}))
        second = h.resync()
        await h.send(second)
        [two] = await h.observations_of(second)
        assert one.source_id == two.source_id == made["id"]
        assert one.version == two.version
        assert one.message_id != two.message_id
