"""The sweep spreads users over its interval instead of listing everyone at the same moment."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, cast

import pytest

from kakehashi.garoon_connector.sweep import Sweeper
from tests.support.waiting import wait_until

USERS = [f"link-{n:03d}" for n in range(200)]


def sweeper(interval: float = 300.0, catch_up: float | None = 10.0) -> Sweeper:
    # The offsets and the loop need neither store, bus nor Garoon.
    s = Sweeper(cast(Any, None), cast(Any, None), cast(Any, None), interval=interval)
    s.catch_up = catch_up
    return s


def test_offsets_cover_the_interval_evenly() -> None:
    s = sweeper(interval=300.0)
    offsets = [s._offset(u) for u in USERS]
    assert all(0.0 <= o <= 300.0 for o in offsets)
    # Ten 30-second slots: every slot gets users and none gets a crowd (even share = 20).
    slots = [0] * 10
    for o in offsets:
        slots[min(int(o // 30), 9)] += 1
    assert min(slots) >= 8, slots
    assert max(slots) <= 35, slots
    # No long silence in the interval either.
    ordered = sorted(offsets)
    gaps = [b - a for a, b in zip([0.0, *ordered], [*ordered, 300.0], strict=True)]
    assert max(gaps) < 30.0


def test_offsets_are_stable_across_restarts_and_scale_with_the_interval() -> None:
    before, after = sweeper(interval=300.0), sweeper(interval=300.0)
    assert [before._offset(u) for u in USERS] == [after._offset(u) for u in USERS]
    longer = sweeper(interval=600.0)
    for user in USERS[:20]:
        assert longer._offset(user) == pytest.approx(2 * before._offset(user))


def test_first_turn_catches_up_within_the_catch_up_window() -> None:
    s = sweeper(interval=300.0, catch_up=10.0)
    first = [s._offset(u, first=True) for u in USERS]
    assert max(first) <= 10.0
    assert max(first) - min(first) > 5.0  # still spread, not all at once
    # The same order as the regular slots, only compressed.
    assert sorted(USERS, key=lambda u: s._offset(u, first=True)) == sorted(USERS, key=s._offset)
    # Without a catch-up window the first turn uses the users' regular slots.
    plain = sweeper(interval=300.0, catch_up=None)
    assert [plain._offset(u, first=True) for u in USERS] == [plain._offset(u) for u in USERS]


async def test_the_loop_sweeps_users_at_their_own_offsets(monkeypatch: pytest.MonkeyPatch) -> None:
    interval = 1.0
    s = sweeper(interval=interval, catch_up=None)
    users = USERS[:12]
    links = [SimpleNamespace(id=u) for u in users]
    swept: dict[str, float] = {}

    async def fake_links() -> list[Any]:
        return links

    async def fake_sweep(link: Any, **_: Any) -> None:
        swept.setdefault(link.id, time.monotonic())

    monkeypatch.setattr(s, "_links", fake_links)
    monkeypatch.setattr(s, "sweep_user", fake_sweep)
    started = time.monotonic()
    s.start()
    try:
        await wait_until(lambda: len(swept) == len(users), timeout=5, message="every user swept")
    finally:
        await s.stop()
    at = {u: swept[u] - started for u in users}
    # Each user is swept at their slot: not before it, and not long after it.
    for u in users:
        assert s._offset(u) - 0.01 <= at[u] <= s._offset(u) + 0.5, (u, at[u], s._offset(u))
    # Slots well apart are swept in their order (the loop wakes at least every 50 ms).
    for a in users:
        for b in users:
            if s._offset(b) - s._offset(a) > 0.1:
                assert at[a] < at[b], (a, b)
    # Spread over the interval: the first and last sweep are far apart.
    assert max(at.values()) - min(at.values()) >= 0.4 * interval
