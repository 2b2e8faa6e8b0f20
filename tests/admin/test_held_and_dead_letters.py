"""Admin API and CLI: dead letters per work queue, and deletions held by the mass-delete guard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kakehashi.bus import MemoryBus, Poison
from kakehashi.contracts import GaroonHint, Message
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import Side
from kakehashi.contracts.state import (
    HeldDeleteStatus,
    Mapping,
    MappingState,
    SideRecord,
    UserLink,
)
from kakehashi.runtime import queue_spec
from tests.admin.conftest import Env
from tests.support.waiting import wait_until

T = "/api/v1/tenants/acme"
QUEUE = "garoon_connector.hints"


async def test_new_routes_need_the_token(env: Env) -> None:
    for method, path in [
        ("GET", "/api/v1/dead-letters"),
        ("POST", f"/api/v1/dead-letters/{QUEUE}/replay"),
        ("GET", T + "/held-deletes"),
        ("GET", T + "/users/sato/held-deletes"),
        ("POST", T + "/users/sato/held-deletes/confirm"),
        ("POST", T + "/users/sato/held-deletes/reject"),
    ]:
        status, body = await env.call(method, path, token=None)
        assert status == 401, path
        assert body["error"]["code"] == "unauthorized"


# ---------------------------------------------------------------- dead letters
async def _park_one(env: Env) -> GaroonHint:
    """A hint the Garoon connector refused for good, in garoon_connector.hints.dlq."""
    bus = env.host.bus
    assert isinstance(bus, MemoryBus)
    worker = MemoryBus(broker=bus.broker)
    await worker.connect()
    sent = GaroonHint(tenant_id="acme", garoon_user="sato", event_id="4711", action="edit")

    async def refuse(message: Message) -> None:
        raise Poison("no such user link")

    await worker.consume(queue_spec(QUEUE), refuse)
    await bus.publish(sent)
    await wait_until(lambda: bus.dead_letters(QUEUE), message="dead letter")
    await worker.close()
    return sent


async def test_dead_letters_listed_and_replayed(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = await env.ok("GET", "/api/v1/dead-letters")
    assert empty["total"] == 0
    assert QUEUE in {q["queue"] for q in empty["queues"]}
    assert await env.ok("POST", f"/api/v1/dead-letters/{QUEUE}/replay") == {
        "queue": QUEUE,
        "replayed": 0,
    }
    status, body = await env.call("POST", "/api/v1/dead-letters/nope/replay", {"limit": 1})
    assert status == 404
    assert body["error"]["code"] == "queue_not_found"
    status, _ = await env.call("POST", f"/api/v1/dead-letters/{QUEUE}/replay", {"limit": 0})
    assert status == 400

    sent = await _park_one(env)
    listed = await env.ok("GET", "/api/v1/dead-letters")
    assert listed["total"] == 1
    [observed] = [q for q in listed["queues"] if q["queue"] == QUEUE]
    assert observed["count"] == 1
    [sample] = observed["sample"]
    assert sample["message_id"] == sent.message_id
    assert sample["kind"] == "hint.garoon"
    assert sample["tenant_id"] == "acme"
    assert sample["error"] == "Poison: no such user link"
    assert sample["attempts"] == 1

    assert await env.cli("dead-letters", "list") == 0
    out = capsys.readouterr().out
    assert f"{QUEUE}: 1 dead letter(s)" in out
    assert "error: Poison: no such user link" in out
    assert await env.cli("dead-letters", "replay", QUEUE, "--limit", "5") == 0
    assert f"1 message(s) of {QUEUE} put back to work" in capsys.readouterr().out
    bus = env.host.bus
    assert isinstance(bus, MemoryBus)
    assert bus.depth(QUEUE) == 1
    assert bus.dead_letters(QUEUE) == []
    assert await env.cli("dead-letters", "list") == 0
    assert "no dead letters" in capsys.readouterr().out
    assert await env.cli("dead-letters", "replay", "nope") == 2
    assert "HTTP 404" in capsys.readouterr().err


# ---------------------------------------------------------------- held deletes
async def _held_for(env: Env, login: str, titles: list[str]) -> tuple[UserLink, list[str]]:
    link = UserLink(tenant_id="acme", garoon_login=login, m365_address=f"{login}@contoso.example")
    await env.store.user_links.upsert(link)
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    ids = []
    for n, title in enumerate(titles):
        mapping = Mapping(
            tenant_id="acme",
            user_link_id=link.id,
            garoon_id=f"{login}-{n}",
            garoon=SideRecord(id=f"{login}-{n}"),
            graph=SideRecord(id=f"graph-{login}-{n}"),
            base=NormalizedEvent(title=title, start=start, end=start + timedelta(hours=1)),
            state=MappingState.ACTIVE,
        )
        await env.store.mappings.insert(mapping)
        ids.append(mapping.id)
    await env.store.held_deletes.hold(
        tenant_id="acme",
        user_link_id=link.id,
        side=Side.GAROON.value,
        mapping_ids=ids,
        reason=f"listing empty while {len(ids)} mapped events exist",
        now=start,
    )
    return link, sorted(ids)


async def test_held_deletes_listed_confirmed_and_rejected(
    env: Env, capsys: pytest.CaptureFixture[str]
) -> None:
    await env.ok("PUT", T, {"name": "Acme"})
    status, body = await env.call("GET", T + "/users/ghost/held-deletes")
    assert status == 404
    assert body["error"]["code"] == "user_not_found"
    status, _ = await env.call("POST", "/api/v1/tenants/nope/users/sato/held-deletes/confirm")
    assert status == 404
    sato, sato_ids = await _held_for(env, "sato", ["定例会議", "1on1"])
    _, suzuki_ids = await _held_for(env, "suzuki", ["週報"])

    everyone = await env.ok("GET", T + "/held-deletes")
    assert {h["user"] for h in everyone["held_deletes"]} == {"sato", "suzuki"}
    [mine] = (await env.ok("GET", T + "/users/sato/held-deletes"))["held_deletes"]
    assert mine["status"] == "pending"
    assert mine["count"] == 2
    assert {m["title"] for m in mine["mappings"]} == {"定例会議", "1on1"}
    assert await env.cli("deletes", "held", "--tenant", "acme") == 0
    out = capsys.readouterr().out
    assert "sato (garoon): pending, 2 deletion(s)" in out
    assert "定例会議" in out

    # Confirm: recorded for the next sweep (no connector listens here), audited as admin.
    assert await env.cli("deletes", "confirm", "--user", "sato", "--tenant", "acme") == 0
    assert "confirmed 2 deletion(s)" in capsys.readouterr().out
    batch = await env.store.held_deletes.get(sato.id, "garoon")
    assert batch is not None
    assert batch.status == HeldDeleteStatus.CONFIRMED
    assert batch.decided_by == "admin"
    trail = await env.store.audit.for_mapping(sato_ids[0])
    assert [e.action for e in trail] == ["confirm-delete"]
    status, body = await env.call("POST", T + "/users/sato/held-deletes/reject")
    assert status == 409  # nothing pending any more
    assert body["error"]["code"] == "nothing_held"

    # Reject: the mappings are closed, the other side's copies stay.
    rejected = await env.ok("POST", T + "/users/suzuki/held-deletes/reject")
    assert rejected["tombstoned"] == 1
    assert rejected["held_deletes"][0]["status"] == "rejected"
    mapping = await env.store.mappings.get(suzuki_ids[0])
    assert mapping is not None
    assert mapping.state == MappingState.TOMBSTONED
    assert mapping.graph.id == "graph-suzuki-0"
    assert await env.cli("deletes", "reject", "--user", "suzuki", "--tenant", "acme") == 2
    assert "HTTP 409" in capsys.readouterr().err
    assert await env.cli("deletes", "held", "--user", "suzuki", "--tenant", "acme") == 0
    assert "suzuki (garoon): rejected" in capsys.readouterr().out
