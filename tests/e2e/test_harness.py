"""The harness itself: everything up, subscriptions live, hints and notifications accepted."""

from __future__ import annotations

import pytest

from tests.e2e.harness import Harness, garoon_time, outlook_time, slot
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_an_empty_company_verifies_clean(harness: Harness) -> None:
    report = await harness.verify()
    assert report["clean"], report
    assert [u["user"] for u in report["users"]] == [u.login for u in harness.m.users]


async def test_every_linked_mailbox_has_a_subscription_the_ingress_validated(
    harness: Harness,
) -> None:
    subs = await harness.graph_control("GET", "/subscriptions")
    mailboxes = {s["mailbox"] for s in subs}
    assert mailboxes == {u.graph_id for u in harness.m.users}
    assert {s["notification_url"] for s in subs} == {harness.m.webhooks["graph"]}
    assert sorted(harness.m.subscriptions) == sorted(s["id"] for s in subs)
    validations = [
        d for d in await harness.graph_control("GET", "/notifications") if d["kind"] == "validation"
    ]
    assert validations
    assert all(d["ok"] for d in validations)


async def test_a_garoon_screen_edit_reaches_the_ingress_as_a_hint(harness: Harness) -> None:
    start, end = slot()
    created = await harness.garoon_person(
        "sato",
        "create",
        {
            "eventType": "REGULAR",
            "subject": "hint path",
            "start": garoon_time(start),
            "end": garoon_time(end),
            "attendees": [{"type": "USER", "code": "sato"}],
        },
    )

    async def delivered() -> list[dict[str, object]]:
        hints = await harness.garoon_control("GET", "/hints")
        return [d for d in hints["deliveries"] if d["body"]["eventId"] == str(created["id"])]

    deliveries = await wait_until(delivered, message="hint delivery")
    assert deliveries[0]["url"] == harness.m.webhooks["garoon"]
    assert deliveries[0]["status"] == 202


async def test_an_outlook_change_reaches_the_ingress_as_a_notification(harness: Harness) -> None:
    start, end = slot()
    created = await harness.outlook_create(
        "suzuki@contoso.example",
        {"subject": "notification path", "start": outlook_time(start), "end": outlook_time(end)},
    )

    async def delivered() -> list[dict[str, object]]:
        return [
            d
            for d in await harness.graph_control("GET", "/notifications")
            if d["kind"] == "change"
            and any(i["resourceData"]["id"] == created["id"] for i in d["items"])
        ]

    deliveries = await wait_until(delivered, message="notification delivery")
    assert deliveries[0]["status"] == 202
