"""Sync engine: translation, recurrence, three-way merge decision (pure code, no I/O).

Public API (names are stable; see each module):
- translate.garoon_rest: to_garoon, from_garoon, garoon_write_body, explode, Unexpressible
- translate.garoon_soap: to_soap, from_soap, repeat_info, recurrence_from
- translate.graph: to_graph, from_graph, graph_write_body
- translate.context: TranslationContext; translate.project: project
- recurrence: expand, occurrence_dates, rule_dates, last_date, garoon_repeat_type
- timezones: to_iana, to_windows; hashing: content_hash; merge: merge3
- decide: decide, mapping_id_for; results: apply_result
- decision: Decision, Action, ActionKind, DecisionContext
- guard: guard_deletes, Listing, GuardVerdict; window: admits, reexplode
- explain: explain, find_mapping, find_series_mapping, Explanation, PlannedAction
- occurrences: align_series, split_create (single occurrences edited on their own)
"""

from kakehashi.engine.decide import decide, mapping_id_for
from kakehashi.engine.decision import Action, ActionKind, Decision, DecisionContext
from kakehashi.engine.explain import (
    Explanation,
    PlannedAction,
    explain,
    find_mapping,
    find_series_mapping,
)
from kakehashi.engine.guard import GuardVerdict, Listing, guard_deletes
from kakehashi.engine.hashing import content_hash
from kakehashi.engine.results import apply_result
from kakehashi.engine.translate.context import TranslationContext

__all__ = [
    "Action",
    "ActionKind",
    "Decision",
    "DecisionContext",
    "Explanation",
    "GuardVerdict",
    "Listing",
    "PlannedAction",
    "TranslationContext",
    "apply_result",
    "content_hash",
    "decide",
    "explain",
    "find_mapping",
    "find_series_mapping",
    "guard_deletes",
    "mapping_id_for",
]
