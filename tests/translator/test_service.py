"""The service wiring and the metrics it exports."""

from __future__ import annotations

import asyncio

from prometheus_client import REGISTRY

from kakehashi.contracts import routing
from kakehashi.contracts.messages import CommandOp, Side
from kakehashi.translator import SERVICE
from kakehashi.translator.handlers import make_handlers
from kakehashi.translator.translator import Translator
from tests.translator.conftest import Rig, event
from tests.translator.support import pump


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_service_consumes_the_translator_queues(rig: Rig) -> None:
    class Ctx:  # the parts of ServiceContext the handlers use
        store, bus, clock = rig.store, rig.bus, staticmethod(lambda: None)

    handlers = make_handlers(Ctx())  # type: ignore[arg-type]
    assert set(handlers) == {routing.TRANSLATOR_OBSERVED, routing.TRANSLATOR_RESULTS}
    assert SERVICE.name == "translator"
    specs = [spec for spec, _ in SERVICE().consumers(Ctx())]  # type: ignore[arg-type]
    assert {s.name for s in specs} == set(handlers)
    assert all(s.bindings == routing.BINDINGS[s.name] for s in specs)
    assert all(s.max_attempts > 5 for s in specs)


async def test_metrics_count_decisions_commands_and_latency(rig: Rig) -> None:
    decisions = _value("kakehashi_sync_decisions_total", rule="create")
    creates = _value("kakehashi_sync_commands_total", side="graph", op="create")
    latencies = _value("kakehashi_sync_latency_seconds_count")
    gid = rig.sides.user_write(Side.GAROON, None, event())
    sent = await pump(rig, rig.sides.observe(Side.GAROON, gid))
    assert [(c.side, c.op) for c in sent] == [(Side.GRAPH, CommandOp.CREATE)]
    assert _value("kakehashi_sync_decisions_total", rule="create") == decisions + 1
    assert _value("kakehashi_sync_commands_total", side="graph", op="create") == creates + 1
    assert _value("kakehashi_sync_latency_seconds_count") == latencies + 1
    assert _value("kakehashi_sync_decisions_total", rule="create-done") >= 1


async def test_two_replicas_racing_one_observation_count_the_lost_race(rig: Rig) -> None:
    other = Translator(rig.store, rig.bus, rig.translator.clock)
    conflicts = _value("kakehashi_mapping_cas_conflicts_total")
    gid = rig.sides.user_write(Side.GAROON, None, event())
    obs = rig.sides.observe(Side.GAROON, gid)
    await asyncio.gather(rig.translator.on_observed(obs), other.on_observed(obs))
    sent = rig.commands()
    assert len({c.message_id for c in sent}) == 1  # the loser re-decided: a re-send at most
    assert _value("kakehashi_mapping_cas_conflicts_total") == conflicts + 1
    assert (await rig.mapping()).revision == 1
