"""Both sides edit the same field: three-way merge per policy, recorded in the audit.
The Teams button: request -> TEAMS_MEETING -> join URL -> Garoon memo, and quiet after."""

from __future__ import annotations

import pytest

from kakehashi.bus import Retry
from kakehashi.contracts.messages import CommandOp, Side, TeamsMeetingRequest
from kakehashi.contracts.state import ConflictPolicy
from kakehashi.engine.translate import garoon_rest
from tests.translator.conftest import Rig, event, make_rig
from tests.translator.fakes import JOIN, LINK, TENANT, TR
from tests.translator.support import pump


async def _synced(rig: Rig) -> tuple[str, str]:
    gid = rig.sides.user_write(Side.GAROON, None, event("Plan"))
    await pump(rig, rig.sides.observe(Side.GAROON, gid))
    [oid] = rig.sides.cal[Side.GRAPH].events
    return gid, oid


@pytest.mark.parametrize(
    ("policy", "winner", "loser"),
    [
        (ConflictPolicy.LATER_WINS, "outlook", "garoon"),  # Outlook edited last
        (ConflictPolicy.GAROON_WINS, "garoon", "outlook"),
        (ConflictPolicy.GRAPH_WINS, "outlook", "garoon"),
    ],
)
async def test_conflicting_edits_merge_per_policy_and_are_audited(
    policy: ConflictPolicy, winner: str, loser: str
) -> None:
    rig = await make_rig(policy)
    try:
        gid, oid = await _synced(rig)
        # Same field on both sides (title), plus one field each side alone (kept both).
        rig.sides.edit(Side.GAROON, gid, title="garoon", location="Room 7")
        rig.sides.edit(Side.GRAPH, oid, title="outlook", body="notes from Outlook")
        await pump(rig, rig.sides.observe(Side.GAROON, gid), rig.sides.observe(Side.GRAPH, oid))
        for cal in rig.sides.cal.values():
            [copy] = cal.events.values()
            assert copy.event.title == winner
            assert copy.event.location == "Room 7"
            assert copy.event.body == "notes from Outlook"
        mapping = await rig.mapping()
        notes = [e.detail for e in await rig.store.audit.for_mapping(mapping.id)]
        assert any("conflicts: title" in d for d in notes), notes
    finally:
        await rig.bus.close()


def _request(gid: str, *invitees: str) -> TeamsMeetingRequest:
    return TeamsMeetingRequest(
        tenant_id=TENANT, user_link_id=LINK, garoon_event_id=gid, invitees=list(invitees)
    )


async def test_teams_request_makes_a_meeting_and_writes_the_join_url_to_the_memo(
    rig: Rig,
) -> None:
    gid, oid = await _synced(rig)
    request = _request(gid, "guest@outside.example")
    await rig.translator.on_observed_queue(request)
    [teams] = rig.commands()
    assert (teams.side, teams.op, teams.target_id) == (Side.GRAPH, CommandOp.TEAMS_MEETING, oid)
    assert teams.invitees == ["guest@outside.example"]
    assert teams.notify_attendees
    await rig.translator.on_observed_queue(request)  # redelivered request: same message
    assert [c.message_id for c in rig.commands()] == [teams.message_id]

    answer = rig.sides.apply(teams)
    assert answer is not None
    result, graph_echo = answer
    assert result.join_url == JOIN
    await rig.translator.on_result(result)
    [memo] = rig.commands()
    assert (memo.side, memo.op) == (Side.GAROON, CommandOp.UPDATE)
    assert "join_url" in memo.fields
    assert memo.event is not None
    assert memo.event.join_url == JOIN
    assert f"Teams: {JOIN}" in garoon_rest.to_garoon(memo.event, TR)["notes"]
    mapping = await rig.mapping()
    # Stored under the revision the engine decided (and built the memo's message id from).
    assert mapping.revision == memo.mapping_revision
    assert mapping.base is not None
    assert mapping.base.join_url == JOIN
    assert mapping.graph.snapshot is not None
    assert mapping.graph.snapshot.join_url == JOIN

    # The memo write, its result and every echo that follows: nothing more is written.
    assert graph_echo is not None
    sent = await pump(rig, graph_echo)
    rig.sides.apply(memo)  # already applied by pump: deduped by message id
    sent += await pump(rig, rig.sides.observe(Side.GAROON, gid), rig.sides.observe(Side.GRAPH, oid))
    assert {c.message_id for c in sent} <= {memo.message_id}  # re-sends of the memo only
    garoon = rig.sides.cal[Side.GAROON].events[gid].event
    assert garoon.join_url == JOIN
    assert "guest@outside.example" in {p.email for p in garoon.attendees}
    outlook = rig.sides.cal[Side.GRAPH].events[oid].event
    assert outlook.join_url == JOIN
    # A second press with nobody new: no second meeting.
    await rig.translator.on_observed_queue(_request(gid, "guest@outside.example"))
    assert rig.commands() == []
    rules = [e.rule for e in await rig.store.audit.for_mapping(mapping.id)]
    assert "teams-meeting" in rules
    assert "teams-exists" in rules


async def test_teams_request_waits_for_the_mapping(rig: Rig) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event())
    with pytest.raises(Retry):
        await rig.translator.on_observed_queue(_request(gid))
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))
    # Mapped, but the Outlook create is still in flight: wait for its result, too.
    with pytest.raises(Retry):
        await rig.translator.on_observed_queue(_request(gid))


async def test_redelivered_observation_with_teams_in_flight_resends_it(rig: Rig) -> None:
    gid, oid = await _synced(rig)
    await rig.translator.on_observed_queue(_request(gid, "guest@outside.example"))
    [teams] = rig.commands()
    mapping = await rig.mapping()
    assert mapping.graph.pending_invitees == ["guest@outside.example"]
    # An old observation of the Outlook event (same version as recorded) comes again: the
    # Teams write still in flight is re-sent, same id, same invitees (the connector dedupes).
    await rig.translator.on_observed(rig.sides.observe(Side.GRAPH, oid))
    [again] = rig.commands()
    assert (again.message_id, again.op, again.invitees) == (
        teams.message_id,
        CommandOp.TEAMS_MEETING,
        ["guest@outside.example"],
    )
    assert again.idempotency_key == teams.idempotency_key
    assert again.notify_attendees
    assert (await rig.mapping()).revision == mapping.revision  # nothing written
    # Its result then completes the meeting as usual.
    answer = rig.sides.apply(again)
    assert answer is not None
    await rig.translator.on_result(answer[0])
    mapping = await rig.mapping()
    assert mapping.base is not None
    assert mapping.base.join_url == JOIN
    assert mapping.graph.pending_op != CommandOp.TEAMS_MEETING.value


async def test_stale_result_resends_a_teams_write_in_flight(rig: Rig) -> None:
    """A redelivered create result (stale: its command is done) while the Teams write is in
    flight: the service's reissue glue re-sends it, invitees included."""
    gid = rig.sides.user_write(Side.GAROON, None, event("Plan"))
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))
    [create] = rig.commands()
    answer = rig.sides.apply(create)
    assert answer is not None
    await rig.translator.on_result(answer[0])
    rig.commands()
    await rig.translator.on_observed_queue(_request(gid, "guest@outside.example"))
    [teams] = rig.commands()
    await rig.translator.on_result(answer[0])  # the create's result again
    [again] = rig.commands()
    assert (again.message_id, again.invitees) == (teams.message_id, ["guest@outside.example"])


async def test_after_a_teams_meeting_every_later_edit_gets_a_fresh_command_id(rig: Rig) -> None:
    """The Teams result is merged as a concurrent edit (the join URL) in the same decision as
    the result itself: one revision step, so the store's revision is the one the memo's id was
    built from. One step behind, a later decision minted the memo's id again for a new Garoon
    write, which the connector dropped as a duplicate (a lost edit)."""
    gid, oid = await _synced(rig)
    await rig.translator.on_observed_queue(_request(gid, "guest@outside.example"))
    [teams] = rig.commands()
    answer = rig.sides.apply(teams)
    assert answer is not None
    result, graph_echo = answer
    before = (await rig.mapping()).revision
    await rig.translator.on_result(result)
    [memo] = rig.peek()
    stored = (await rig.mapping()).revision
    assert stored == before + 1 == memo.mapping_revision
    assert graph_echo is not None
    await pump(rig, graph_echo)
    for n in range(3):
        rig.sides.edit(Side.GRAPH, oid, title=f"outlook {n}")
        await pump(rig, rig.sides.observe(Side.GRAPH, oid))
        assert rig.sides.cal[Side.GAROON].events[gid].event.title == f"outlook {n}"
        rig.sides.edit(Side.GAROON, gid, location=f"room {n}")
        await pump(rig, rig.sides.observe(Side.GAROON, gid))
        assert rig.sides.cal[Side.GRAPH].events[oid].event.location == f"room {n}"
    # Same id = the same write re-sent, never a different write.
    by_id: dict[str, set[tuple[object, ...]]] = {}
    for c in rig.commands_seen:
        key = (c.side, c.op, tuple(c.fields), c.event.model_dump_json() if c.event else None)
        by_id.setdefault(c.message_id, set()).add(key)
    assert all(len(v) == 1 for v in by_id.values())
