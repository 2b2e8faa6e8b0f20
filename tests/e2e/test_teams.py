"""Product §2.5 Teams meetings, end to end: the customization's "Create Teams meeting" button in
Garoon's screen (with outside invitees), and a Teams meeting created in Outlook. Either way the
join URL ends up once in the Garoon memo, the sync settles and `kakehashi verify` is clean."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from kakehashi.contracts.routing import BINDINGS
from kakehashi.runtime import queue_spec
from tests.e2e.events import SATO, SATO_MAIL, garoon_event, outlook_event
from tests.e2e.harness import SYNC_TIMEOUT, Harness
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

TEAMS_HINT = "kakehashi.teams.create"
GUESTS = ["guest.one@partner.example", "Guest.Two@customer.example"]
NOT_AN_ADDRESS = "no-at-sign.example"
# The sync has settled when, for this long, no message waits in any queue and neither
# simulator saw a write (measured by polling; a change inside the window restarts it).
SETTLE_WINDOW = 2.0
_WRITES = {"POST", "PATCH", "PUT", "DELETE"}
_SOAP_WRITE = re.compile(r"^SOAP Schedule(Add|Modify|Remove)")


# ------------------------------------------------------------------ helpers (this file only)
async def hint_deliveries(h: Harness, event_id: str) -> list[dict[str, Any]]:
    """The Teams button's posts for `event_id` as the Garoon proxy delivered them."""
    hints = await h.garoon_control("GET", "/hints")
    return [
        d
        for d in hints["deliveries"]
        if d["body"]["eventType"] == TEAMS_HINT and d["body"]["eventId"] == event_id
    ]


async def press_teams(
    h: Harness, event_id: str, invitees: list[str], *, times: int = 1
) -> list[dict[str, Any]]:
    """Press the button `times` times at once (a double click); wait for the proxy's
    deliveries to the ingress and return them."""
    before = len(await hint_deliveries(h, event_id))
    for _ in range(times):
        await h.garoon_person(SATO, "teams", {"eventId": event_id, "invitees": invitees})

    async def delivered() -> list[dict[str, Any]] | None:
        found = await hint_deliveries(h, event_id)
        return found[before:] if len(found) >= before + times else None

    result: list[dict[str, Any]] = await wait_until(delivered, message="the Teams hint delivery")
    return result


async def audit_rules(h: Harness, garoon_event_id: str) -> list[str]:
    """The rules of the event's audit trail, oldest first (the admin API)."""
    url = f"{h.m.services['admin'].url}/api/v1/tenants/{h.m.tenant.id}/audit/{garoon_event_id}"
    headers = {"Authorization": f"Bearer {h.m.admin_token}"}
    async with h.http.get(url, headers=headers) as resp:
        assert resp.status == 200, await resp.text()
        return [str(e["rule"]) for e in (await resp.json())["entries"]]


async def invitations_to(h: Harness, address: str) -> int:
    mails = await h.graph_control("GET", "/outbox")
    return sum(
        1
        for mail in mails
        if mail["kind"] == "invitation" and address.lower() in {t.lower() for t in mail["to"]}
    )


async def outlook_event_by_id(h: Harness, email: str, event_id: str) -> dict[str, Any]:
    return await h.graph.get_event(h.m.user(email).graph_id, event_id)


async def garoon_event_by_id(h: Harness, login: str, event_id: str) -> dict[str, Any]:
    [event] = [e for e in await h.garoon_events(login) if str(e["id"]) == event_id]
    return event


def join_url_of(event: dict[str, Any]) -> str | None:
    meeting = event.get("onlineMeeting") or {}
    url = meeting.get("joinUrl")
    return str(url) if url else None


async def write_counts(h: Harness) -> tuple[int, int]:
    """Writes each simulator has served so far: (Garoon, Graph)."""
    garoon = await h.garoon_control("GET", "/requests")
    graph = await h.graph_control("GET", "/requests")
    return (
        sum(1 for r in garoon["requests"] if _garoon_write(str(r["endpoint"]), str(r["method"]))),
        sum(1 for r in graph if r["method"] in _WRITES and "/events" in str(r["path"])),
    )


async def latest_writes(h: Harness, n: int = 12) -> str:
    """The last writes on both sides, for a failure message."""
    garoon = [
        f"garoon {r['at']} {r['endpoint']} {r['status']}"
        for r in (await h.garoon_control("GET", "/requests"))["requests"]
        if _garoon_write(str(r["endpoint"]), str(r["method"]))
    ]
    graph = [
        f"graph {r['time']:.3f} {r['method']} {r['path']} {r['status']}"
        for r in await h.graph_control("GET", "/requests")
        if r["method"] in _WRITES and "/events" in str(r["path"])
    ]
    return "\n".join(garoon[-n:] + graph[-n:])


def _garoon_write(endpoint: str, method: str) -> bool:
    if endpoint.startswith("SOAP "):  # every SOAP call is a POST; its action tells
        return _SOAP_WRITE.search(endpoint) is not None
    return method in _WRITES


async def queued_messages(h: Harness) -> int:
    """Messages ready in every work queue and retry tier of the topology (none unacked is
    checked by the write counts standing still over the window)."""
    import aio_pika

    from kakehashi.bus.topology import declarations

    assert h.sandbox.amqp_url is not None
    total = 0
    connection = await aio_pika.connect(h.sandbox.amqp_url)
    async with connection:
        channel = await connection.channel()
        for queue in BINDINGS:
            for decl in declarations(queue_spec(queue)):
                declared = await channel.declare_queue(decl.name, passive=True)
                total += declared.declaration_result.message_count or 0
    return total


async def wait_settled(h: Harness, timeout: float = SYNC_TIMEOUT) -> tuple[int, int]:
    """Until the bus is empty and no simulator write happened for SETTLE_WINDOW seconds."""
    last: tuple[int, int] | None = None
    since = 0.0

    async def quiet() -> bool:
        nonlocal last, since
        counts = await write_counts(h)
        if await queued_messages(h) or counts != last:
            last, since = counts, time.monotonic()
            return False
        return time.monotonic() - since >= SETTLE_WINDOW

    try:
        await wait_until(quiet, timeout=timeout, interval=0.2, message="a settled sync")
    except AssertionError:
        raise AssertionError(
            f"not settled after {timeout}s: queued={await queued_messages(h)}, "
            f"writes (garoon, graph)={last}, latest:\n{await latest_writes(h)}"
        ) from None
    assert last is not None
    return last


async def assert_settled_and_clean(h: Harness) -> None:
    counts = await wait_settled(h)
    report = await h.verify()
    assert report["clean"], report
    # `kakehashi verify` as an operator runs it through the admin API: the tenant's
    # credentials still check out on both systems, with not even a warning.
    credentials = await h.admin("POST", "/verify")
    levels = {c["id"]: c["level"] for c in credentials["checks"]}
    assert credentials["ok"] is True, credentials["checks"]
    assert set(levels.values()) == {"ok"}, levels
    for expected in ("graph.token", f"graph.mailbox.{SATO_MAIL}", "garoon.login"):
        assert expected in levels, levels
    # verify only reads; nothing woke up to write again.
    assert await write_counts(h) == counts
    assert await queued_messages(h) == 0


# ------------------------------------------------------------------ scenarios
async def test_teams_button_with_outside_invitees(harness: Harness) -> None:
    h = harness
    created = await h.garoon_person(SATO, "create", garoon_event("g teams", notes="agenda"))
    event_id = str(created["id"])
    [copy] = await h.wait_outlook(SATO_MAIL, "g teams")
    assert not copy["isOnlineMeeting"]

    # An address the customization would refuse to send is refused by the ingress too: the
    # whole request, so nothing is half done.
    [refused] = await press_teams(h, event_id, [*GUESTS, NOT_AN_ADDRESS])
    assert refused["status"] == 400, refused
    [accepted] = await press_teams(h, event_id, GUESTS)
    assert accepted["status"] == 202, accepted

    async def teams_meeting() -> dict[str, Any] | None:
        ev = await outlook_event_by_id(h, SATO_MAIL, copy["id"])
        invited = {a["emailAddress"]["address"].lower() for a in ev.get("attendees", [])}
        done = join_url_of(ev) and {g.lower() for g in GUESTS} <= invited
        return ev if done else None

    meeting = await wait_until(teams_meeting, timeout=SYNC_TIMEOUT, message="a Teams meeting")
    assert meeting["isOnlineMeeting"] is True
    assert meeting["onlineMeetingProvider"] == "teamsForBusiness"
    join_url = join_url_of(meeting)
    assert join_url
    invited = {a["emailAddress"]["address"].lower() for a in meeting["attendees"]}
    assert NOT_AN_ADDRESS not in invited
    for guest in GUESTS:  # invited on purpose, once each
        assert await invitations_to(h, guest) == 1

    async def memo_has_link() -> bool:
        return join_url in (await garoon_event_by_id(h, SATO, event_id)).get("notes", "")

    await wait_until(memo_has_link, timeout=SYNC_TIMEOUT, message="the join URL in the memo")
    await assert_settled_and_clean(h)
    # The refused press asked for nothing: one Teams write, the accepted one.
    assert (await audit_rules(h, event_id)).count("teams-meeting") == 1
    notes = (await garoon_event_by_id(h, SATO, event_id))["notes"]
    assert notes.count(join_url) == 1, notes
    assert notes.startswith("agenda"), notes
    [again] = await h.wait_outlook(SATO_MAIL, "g teams")
    assert join_url_of(await outlook_event_by_id(h, SATO_MAIL, again["id"])) == join_url


async def test_pressing_the_button_twice_makes_one_meeting(harness: Harness) -> None:
    h = harness
    guest = GUESTS[0]
    created = await h.garoon_person(SATO, "create", garoon_event("g teams twice"))
    event_id = str(created["id"])
    [copy] = await h.wait_outlook(SATO_MAIL, "g teams twice")
    double_click = await press_teams(h, event_id, [guest], times=2)
    assert [d["status"] for d in double_click] == [202, 202]

    async def memo_link() -> str | None:
        notes = str((await garoon_event_by_id(h, SATO, event_id)).get("notes", ""))
        url = join_url_of(await outlook_event_by_id(h, SATO_MAIL, copy["id"]))
        return url if url and url in notes else None

    join_url = await wait_until(memo_link, timeout=SYNC_TIMEOUT, message="the link in the memo")
    counts = await wait_settled(h)

    # Once more, long after: the event already is that Teams meeting; nothing is written.
    answers = (await audit_rules(h, event_id)).count("teams-exists")
    [again] = await press_teams(h, event_id, [guest])
    assert again["status"] == 202

    async def answered() -> bool:
        return (await audit_rules(h, event_id)).count("teams-exists") > answers

    await wait_until(answered, timeout=SYNC_TIMEOUT, message="the third press answered")
    assert await wait_settled(h) == counts
    assert (await audit_rules(h, event_id)).count("teams-meeting") == 1
    report = await h.verify()
    assert report["clean"], report

    [meeting] = await h.wait_outlook(SATO_MAIL, "g teams twice")
    assert meeting["id"] == copy["id"]
    assert join_url_of(await outlook_event_by_id(h, SATO_MAIL, meeting["id"])) == join_url
    invited = [a["emailAddress"]["address"].lower() for a in meeting["attendees"]]
    assert invited.count(guest.lower()) == 1
    assert await invitations_to(h, guest) == 1
    notes = (await garoon_event_by_id(h, SATO, event_id))["notes"]
    assert notes.count(join_url) == 1, notes


async def test_teams_meeting_made_in_outlook_shows_its_link_in_garoon(harness: Harness) -> None:
    h = harness
    made = await h.outlook_create(
        SATO_MAIL,
        outlook_event(
            "o teams",
            body={"contentType": "text", "content": "see you"},
            isOnlineMeeting=True,
            onlineMeetingProvider="teamsForBusiness",
        ),
    )
    join_url = join_url_of(await outlook_event_by_id(h, SATO_MAIL, made["id"]))
    assert join_url

    async def memo_has_link() -> bool:
        found = [e for e in await h.garoon_events(SATO) if e.get("subject") == "o teams"]
        return len(found) == 1 and join_url in found[0].get("notes", "")

    await wait_until(memo_has_link, timeout=SYNC_TIMEOUT, message="the join URL in the memo")
    await assert_settled_and_clean(h)
    [event] = await h.wait_garoon(SATO, "o teams")
    assert event["notes"].count(join_url) == 1, event["notes"]
    assert event["notes"].startswith("see you"), event["notes"]
