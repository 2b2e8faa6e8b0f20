"""Later-wins conflicts do not depend on how the two sides' observations interleave.

Garoon retitles the event at t3; Outlook retitled it at t2 and moved it to another room at t5
(two observations). Outlook's room change is the later edit, but its title change is older
than Garoon's: Garoon's title wins, Outlook's room stays, whichever side is heard first
(merge.py docstring: each side's observations in their own order, interleaved any way)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import ObservedEvent, Side
from kakehashi.contracts.state import ConflictPolicy, Mapping
from kakehashi.engine.decide import decide
from tests.engine.sim import LINK, TENANT, World


def _obs(m: Mapping, side: Side, version: str, at: datetime, **change: object) -> ObservedEvent:
    rec = m.garoon if side == Side.GAROON else m.graph
    assert rec.snapshot is not None
    assert rec.id is not None
    return ObservedEvent(
        tenant_id=TENANT,
        occurred_at=at,
        side=side,
        user_link_id=LINK,
        source_id=rec.id,
        ical_uid=f"ical-{rec.id}" if side == Side.GRAPH else None,
        version=version,
        modified_at=at.isoformat(),
        event=rec.snapshot.model_copy(update=change),
    )


def _interleavings(a: list[ObservedEvent], b: list[ObservedEvent]) -> list[list[ObservedEvent]]:
    out = []
    for slots in itertools.combinations(range(len(a) + len(b)), len(a)):
        ia, ib, order = iter(a), iter(b), []
        for i in range(len(a) + len(b)):
            order.append(next(ia) if i in slots else next(ib))
        out.append(order)
    return out


def test_every_interleaving_converges_under_later_wins() -> None:
    w = World()
    assert w.ctx.policy.conflict == ConflictPolicy.LATER_WINS
    start = (w.clock.now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    gid = w.user_write(
        Side.GAROON,
        None,
        NormalizedEvent(
            title="plan", start=start, end=start + timedelta(hours=1), timezone="Asia/Tokyo"
        ),
    )
    w.settle()
    synced = w.mappings[w.owner[gid]]
    t0 = w.clock.now
    t2, t3, t5 = (t0 + timedelta(minutes=n) for n in (2, 3, 5))
    garoon = [_obs(synced, Side.GAROON, "g-9", t3, title="garoon title")]
    outlook = [
        _obs(synced, Side.GRAPH, "o-8", t2, title="outlook title"),
        _obs(synced, Side.GRAPH, "o-9", t5, title="outlook title", location="Room 5"),
    ]
    finals = set()
    for order in _interleavings(garoon, outlook):
        m = synced
        for obs in order:
            d = decide(m, obs, w.ctx)
            m = d.mapping or m
        assert m.base is not None
        finals.add((m.base.title, m.base.location))
    assert finals == {("garoon title", "Room 5")}


@pytest.mark.parametrize("first", [Side.GAROON, Side.GRAPH])
def test_the_later_change_of_the_group_wins_not_the_later_event(first: Side) -> None:
    """Outlook changed the title before Garoon did; its later room change must not carry it."""
    w = World()
    start = (w.clock.now + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    gid = w.user_write(
        Side.GAROON,
        None,
        NormalizedEvent(title="p", start=start, end=start + timedelta(hours=1), timezone="UTC"),
    )
    w.settle()
    synced = w.mappings[w.owner[gid]]
    t0 = w.clock.now
    o1 = _obs(synced, Side.GRAPH, "o-8", t0 + timedelta(minutes=1), title="o")
    o2 = _obs(synced, Side.GRAPH, "o-9", t0 + timedelta(minutes=9), title="o", location="R")
    g = _obs(synced, Side.GAROON, "g-9", t0 + timedelta(minutes=5), title="g")
    order = [g, o1, o2] if first == Side.GAROON else [o1, o2, g]
    m = synced
    for obs in order:
        m = decide(m, obs, w.ctx).mapping or m
    assert m.base is not None
    assert (m.base.title, m.base.location) == ("g", "R")
