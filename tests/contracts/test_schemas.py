"""The committed JSON Schemas must match the contracts, so a contract change shows in review."""

from __future__ import annotations

from kakehashi.contracts import ALL_MESSAGES, GraphHint, ObservedGraph, Side
from kakehashi.contracts.schemas import SCHEMA_DIR, render_all


def test_committed_schemas_are_up_to_date() -> None:
    rendered = render_all()
    stale = [
        name
        for name, text in rendered.items()
        if not (SCHEMA_DIR / name).exists() or (SCHEMA_DIR / name).read_text("utf-8") != text
    ]
    extra = sorted(p.name for p in SCHEMA_DIR.glob("*.json") if p.name not in rendered)
    assert not stale, f"schemas out of date, run `make schemas`: {stale}"
    assert not extra, f"schemas for messages that no longer exist: {extra}"


def test_every_message_kind_round_trips_through_bytes() -> None:
    hint = GraphHint(
        tenant_id="t1", subscription_id="s", user_id="u", event_id="e", change_type="updated"
    )
    assert GraphHint.from_bytes(hint.to_bytes()) == hint
    assert hint.routing_key == "hint.graph"
    observed = ObservedGraph(tenant_id="t1", side=Side.GRAPH, user_link_id="l", source_id="x")
    assert observed.routing_key == "observed.graph"
    assert len({m.KIND for m in ALL_MESSAGES}) == len(ALL_MESSAGES)


def test_caused_message_keeps_correlation() -> None:
    first = GraphHint(
        tenant_id="t1", subscription_id="s", user_id="u", event_id="e", change_type="created"
    )
    second = ObservedGraph(**first.caused(), side=Side.GRAPH, user_link_id="l", source_id="e")
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.message_id
