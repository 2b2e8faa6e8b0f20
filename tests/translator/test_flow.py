"""Observation -> command -> result -> echo, one message at a time (handlers called directly,
which is also what a redelivery does: the handler runs again)."""

from __future__ import annotations

import pytest

from kakehashi.bus import MemoryBus, Poison, Retry
from kakehashi.contracts.messages import CommandOp, Side, SyncCommand
from kakehashi.contracts.state import MappingState
from tests.translator.conftest import Rig, event
from tests.translator.support import pump


async def test_garoon_create_becomes_a_graph_create_with_pending_mapping_and_audit(
    rig: Rig,
) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event("Design review"))
    obs = rig.sides.observe(Side.GAROON, gid)
    await rig.translator.on_observed(obs)

    [cmd] = rig.commands()
    assert (cmd.side, cmd.op) == (Side.GRAPH, CommandOp.CREATE)
    assert cmd.event is not None
    assert cmd.event.title == "Design review"
    mapping = await rig.mapping()
    assert mapping.state == MappingState.PENDING_CREATE
    assert mapping.garoon_id == gid
    assert mapping.graph.pending_command_id == cmd.message_id
    assert cmd.idempotency_key == mapping.idempotency_key
    [entry] = await rig.store.audit.for_mapping(mapping.id)
    assert (entry.rule, entry.action, entry.side) == ("create", "create", "graph")
    assert cmd.message_id in entry.detail


async def test_result_activates_and_the_echo_is_a_no_op(rig: Rig) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event())
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))
    [cmd] = rig.commands()
    answer = rig.sides.apply(cmd)
    assert answer is not None
    result, echo = answer

    await rig.translator.on_result(result)
    mapping = await rig.mapping()
    assert mapping.state == MappingState.ACTIVE
    assert mapping.graph.id == result.target_id
    assert mapping.graph.version == result.new_version
    assert mapping.graph.pending_command_id is None
    assert mapping.graph_ical_uid == result.ical_uid
    assert rig.commands() == []

    assert echo is not None
    await rig.translator.on_observed(echo)
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))  # late duplicate
    assert rig.commands() == []
    rules = [e.rule for e in await rig.store.audit.for_mapping(mapping.id)]
    # (audit times are stored to the millisecond: order within one is not meaningful)
    assert {"create", "create-done", "echo-version"} <= set(rules)


async def test_redelivered_observation_resends_the_same_message_only(rig: Rig) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event())
    obs = rig.sides.observe(Side.GAROON, gid)
    for _ in range(3):
        await rig.translator.on_observed(obs)
    sent = rig.commands()
    assert len({c.message_id for c in sent}) == 1
    assert all(c.op == CommandOp.CREATE for c in sent)
    mapping = await rig.mapping()
    assert mapping.revision == 1  # the redeliveries wrote nothing
    # The connector drops the repeats by message id: one Outlook event.
    for cmd in sent:
        answer = rig.sides.apply(cmd)
        if answer:
            await rig.translator.on_result(answer[0])
    assert len(rig.sides.cal[Side.GRAPH].events) == 1


class FlakyBus(MemoryBus):
    """Refuses the next N publishes, as a broker without confirms would."""

    fail = 0

    async def publish(self, message: object, *, routing_key: str | None = None) -> None:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("broker gone")
        await super().publish(message, routing_key=routing_key)  # type: ignore[arg-type]


async def test_publish_failure_after_the_write_retries_and_reissues_the_same_command(
    rig: Rig,
) -> None:
    flaky = FlakyBus(broker=rig.bus.broker)
    await flaky.connect()
    rig.translator.bus = flaky
    gid = rig.sides.user_write(Side.GAROON, None, event())
    obs = rig.sides.observe(Side.GAROON, gid)
    flaky.fail = 1
    with pytest.raises(Retry):
        await rig.translator.on_observed(obs)
    assert rig.commands() == []
    assert (await rig.mapping()).state == MappingState.PENDING_CREATE  # durable first

    await rig.translator.on_observed(obs)  # the bus redelivers
    [cmd] = rig.commands()
    assert cmd.message_id == (await rig.mapping()).graph.pending_command_id


async def test_follow_up_of_a_result_is_resent_when_its_publish_failed(rig: Rig) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event("v1"))
    sent = await pump(rig, rig.sides.observe(Side.GAROON, gid))
    assert [c.op for c in sent] == [CommandOp.CREATE]
    # An edit arrives while an update is in flight; its result then asks for a follow-up.
    rig.sides.edit(Side.GAROON, gid, title="v2")
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))
    [update] = rig.commands()
    rig.sides.edit(Side.GAROON, gid, location="Room 5")
    await rig.translator.on_observed(rig.sides.observe(Side.GAROON, gid))
    assert rig.commands() == []  # one write in flight per side
    answer = rig.sides.apply(update)
    assert answer is not None
    flaky = FlakyBus(broker=rig.bus.broker)
    await flaky.connect()
    rig.translator.bus, flaky.fail = flaky, 1
    with pytest.raises(Retry):
        await rig.translator.on_result(answer[0])
    await rig.translator.on_result(answer[0])  # redelivered: now "stale" for the engine
    [follow] = rig.commands()
    assert follow.op == CommandOp.UPDATE
    assert "location" in follow.fields
    assert follow.message_id == (await rig.mapping()).graph.pending_command_id


def _titles(rig: Rig) -> set[str]:
    return {c.event.title for cal in rig.sides.cal.values() for c in cal.events.values()}


async def test_graph_create_flows_to_garoon_and_meeting_copies_never_duplicate(rig: Rig) -> None:
    oid = rig.sides.user_write(Side.GRAPH, None, event("From Outlook"))
    sent = await pump(rig, rig.sides.observe(Side.GRAPH, oid))
    assert [(c.side, c.op) for c in sent] == [(Side.GAROON, CommandOp.CREATE)]
    assert len(rig.sides.cal[Side.GAROON].events) == 1
    assert _titles(rig) == {"From Outlook"}
    mapping = await rig.mapping()
    assert mapping.state == MappingState.ACTIVE
    assert mapping.garoon_id is not None


def _only(cmds: list[SyncCommand], side: Side, op: CommandOp) -> list[SyncCommand]:
    return [c for c in cmds if c.side == side and c.op == op]


async def test_edit_on_one_side_updates_the_other(rig: Rig) -> None:
    gid = rig.sides.user_write(Side.GAROON, None, event("Before"))
    await pump(rig, rig.sides.observe(Side.GAROON, gid))
    rig.sides.edit(Side.GAROON, gid, title="After", body="agenda")
    sent = await pump(rig, rig.sides.observe(Side.GAROON, gid))
    [update] = _only(sent, Side.GRAPH, CommandOp.UPDATE)
    assert {"title", "body"} <= set(update.fields)
    assert _titles(rig) == {"After"}


async def test_a_disabled_user_is_left_alone_and_an_unknown_tenant_is_poison(rig: Rig) -> None:
    link = await rig.store.user_links.get("link-1")
    assert link is not None
    await rig.store.user_links.upsert(link.model_copy(update={"enabled": False}))
    gid = rig.sides.user_write(Side.GAROON, None, event())
    obs = rig.sides.observe(Side.GAROON, gid)
    await rig.translator.on_observed(obs)
    assert rig.commands() == []
    assert await rig.store.db.collection("mappings").find({}) == []
    [entry] = await rig.store.audit.for_user("link-1")
    assert entry.rule == "user-not-synced"
    with pytest.raises(Poison):
        await rig.translator.on_observed(obs.model_copy(update={"tenant_id": "nobody"}))


async def test_outlook_delete_without_ical_uid_finds_the_mapping_by_graph_id(rig: Rig) -> None:
    """Graph reports a deleted event by id alone (nothing left to read its iCalUId from); the
    mapping of an Outlook-made event is keyed by that iCalUId, so only the Graph id finds it.
    Missing that lookup left the Garoon copy behind."""
    oid = rig.sides.user_write(Side.GRAPH, None, event("Outlook made"))
    await rig.translator.on_observed(rig.sides.observe(Side.GRAPH, oid))
    [create] = rig.commands()
    answer = rig.sides.apply(create)
    assert answer is not None
    await rig.translator.on_result(answer[0])

    rig.sides.user_write(Side.GRAPH, oid, None)
    gone = rig.sides.observe(Side.GRAPH, oid).model_copy(update={"ical_uid": None})
    await rig.translator.on_observed(gone)

    deletes = [c for c in rig.commands() if c.op == CommandOp.DELETE]
    assert [(c.side, c.target_id) for c in deletes] == [(Side.GAROON, answer[0].target_id)]
