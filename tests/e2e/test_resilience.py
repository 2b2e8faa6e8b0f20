"""What the anchors' users complain about: lost notifications, throttling, conflicting edits,
crashes. Each ends converged, with nothing lost and nothing duplicated."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    outlook_event,
)
from tests.e2e.harness import Harness

pytestmark = pytest.mark.e2e


async def test_a_lost_graph_notification_is_caught_by_reconciliation(harness: Harness) -> None:
    await harness.graph_control("PATCH", "/switches", {"drop_notifications": 1})
    await harness.outlook_create(SATO_MAIL, outlook_event("o unnoticed"))
    # Graph tells a subscriber it missed notifications with a `missed` lifecycle event.
    [sub] = [
        s
        for s in await harness.graph_control("GET", "/subscriptions")
        if s["mailbox"] == harness.m.user(SATO).graph_id
    ]
    await harness.graph_control(
        "POST", f"/subscriptions/{sub['id']}/lifecycle", {"lifecycleEvent": "missed"}
    )
    await harness.wait_garoon(SATO, "o unnoticed")
    await harness.wait_converged()
