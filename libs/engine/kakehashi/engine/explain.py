"""Dry run: for one user, the actions a sync would take and why (data; the CLI renders it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kakehashi.contracts.messages import ObservedEvent, Side
from kakehashi.contracts.state import Mapping, SyncPolicy
from kakehashi.engine.decide import decide, mapping_id_for
from kakehashi.engine.decision import DecisionContext, record_of
from kakehashi.engine.guard import GuardVerdict, Listing, guard_deletes


@dataclass(frozen=True)
class PlannedAction:
    mapping_id: str | None
    source_side: Side
    source_id: str
    title: str
    action: str  # create / update / delete / record / ignore
    target_side: Side | None
    rule: str
    detail: str


@dataclass(frozen=True)
class Explanation:
    actions: tuple[PlannedAction, ...]
    guards: tuple[GuardVerdict, ...] = ()


def find_mapping(
    mappings: Iterable[Mapping], observed: ObservedEvent, tenant_id: str
) -> Mapping | None:
    """The lookup the translator does against the store, over an in-memory list."""
    wanted = mapping_id_for(tenant_id, observed)
    for m in mappings:
        if record_of(m, observed.side).id == observed.source_id:
            return m
        if (
            observed.side == Side.GRAPH
            and observed.ical_uid
            and (m.graph_ical_uid == observed.ical_uid)
        ):
            return m
        if m.id in (wanted, observed.kakehashi_tag) or (
            observed.kakehashi_tag and m.idempotency_key == observed.kakehashi_tag
        ):
            return m
    return None


def find_series_mapping(
    mappings: Iterable[Mapping], observed: ObservedEvent, tenant_id: str
) -> Mapping | None:
    """The series an occurrence observation names (`series_id`: the series' id on the
    observed side: Garoon series id, Graph master id), for `decide(..., series=)`."""
    if not observed.series_id:
        return None
    for m in mappings:
        if m.tenant_id == tenant_id and record_of(m, observed.side).id == observed.series_id:
            return m
    return None


def explain(
    mappings: Sequence[Mapping],
    observations: Sequence[ObservedEvent],
    ctx: DecisionContext,
    listings: Sequence[Listing] = (),
    policy: SyncPolicy | None = None,
) -> Explanation:
    planned = []
    for obs in observations:
        mapping = find_mapping(mappings, obs, ctx.tenant_id)
        series = None if mapping else find_series_mapping(mappings, obs, ctx.tenant_id)
        decision = decide(mapping, obs, ctx, series)
        title = (
            obs.event.title
            if obs.event
            else (mapping.base.title if mapping and mapping.base else "")
        )
        known = decision.mapping or mapping
        for a in decision.actions:
            planned.append(
                PlannedAction(
                    mapping_id=known.id if known else None,
                    source_side=obs.side,
                    source_id=obs.source_id,
                    title=title,
                    action=a.kind.value,
                    target_side=a.side,
                    rule=a.rule,
                    detail=a.detail,
                )
            )
    guards = tuple(guard_deletes(mappings, lst, policy or ctx.policy) for lst in listings)
    return Explanation(tuple(planned), guards)
