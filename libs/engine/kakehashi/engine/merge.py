"""Field-level three-way merge, by field groups that must move together.

Times, all-day flags and the repeat rule form one group ("when"): merging start from one side
and end from the other could make an event end before it starts.

Conflicts under later-wins (`ConflictPolicy.LATER_WINS`): a group both sides changed goes to
the side whose change of *that group* is later. Each side's record keeps, per group, the
modification time of the observation that showed the group change (`SideRecord.changed_at`,
set by `decide.on_change`); a conflict compares the incoming observation's time with the other
side's time for the same group (falling back to the other side's last observed modification
time for records written before these times were kept). Comparing the other side's
whole-event time instead made the outcome depend on delivery order: an unrelated later edit of
the other side, observed first, made its older change of the conflicting group win.

What stays order dependent: the connectors report a time per event, not per field, so an
observation that shows several changes at once dates all of them at its own time. When one
side's observations arrive together, out of order or coalesced (a later read showing two
edits), the earlier edit carries the later time. Observations of one side delivered in their
own order, interleaved in any way with the other side's, converge to the same result
(tests/engine/test_merge_order.py). Ties go to the incoming observation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import Side
from kakehashi.contracts.state import ConflictPolicy
from kakehashi.engine.hashing import canonical

GROUPS: dict[str, tuple[str, ...]] = {
    "when": ("start", "end", "timezone", "all_day", "banner", "recurrence", "original_start"),
    "title": ("title",),
    "body": ("body",),
    "visibility": ("visibility",),
    "category": ("category",),
    "organizer": ("organizer",),
    "attendees": ("attendees",),
    "facilities": ("facilities",),
    "location": ("location",),
    "company": ("company",),
    "join_url": ("join_url",),
    "attendance_check": ("attendance_check",),
}
# Changes to these reach attendees' inboxes when written to an Outlook meeting: Exchange mails
# an update when the organizer changes subject, body, time, location, attendees or the online
# meeting (graph_sim MEETING_FIELDS too). Company info and Garoon-only people/rooms travel in
# the body block, so they mail as well. The command says so (`notify_attendees`), deliberately.
MAILING_GROUPS = frozenset(
    {
        "when",
        "title",
        "body",
        "location",
        "attendees",
        "facilities",
        "visibility",
        "join_url",
        "company",
    }
)


def group_value(ev: NormalizedEvent, group: str) -> dict[str, Any]:
    return canonical(ev, GROUPS[group])


def changed_groups(old: NormalizedEvent | None, new: NormalizedEvent) -> set[str]:
    if old is None:
        return set(GROUPS)
    return {g for g in GROUPS if group_value(old, g) != group_value(new, g)}


def fields_of(groups: set[str]) -> list[str]:
    return [f for g in GROUPS if g in groups for f in GROUPS[g]]


def take(ev: NormalizedEvent, source: NormalizedEvent, groups: set[str]) -> NormalizedEvent:
    return ev.model_copy(update={f: getattr(source, f) for f in fields_of(groups)})


@dataclass(frozen=True)
class MergeResult:
    merged: NormalizedEvent
    taken: frozenset[str]  # groups taken from the changed side
    conflicts: tuple[str, ...]  # "group: winner" notes for the audit trail


def merge3(
    base: NormalizedEvent,
    base_on_side: NormalizedEvent,
    before: NormalizedEvent,
    after: NormalizedEvent,
    side: Side,
    policy: ConflictPolicy,
    side_modified: datetime | None,
    other_modified: datetime | None,
    other_changed: Mapping[str, datetime] | None = None,
) -> MergeResult:
    """Merge a change seen on `side` (before -> after) into the base.

    `base_on_side` is the base as that side can express it; where it differs from `before`,
    the other side changed the group too and has not reached `side` yet: a conflict, unless
    both sides now agree.
    """
    merged, taken, conflicts = base, set(), []
    for g in changed_groups(before, after):
        if group_value(base_on_side, g) == group_value(before, g):
            taken.add(g)
        elif group_value(base_on_side, g) == group_value(after, g):
            continue  # both sides made the same change
        elif _side_wins(side, policy, side_modified, (other_changed or {}).get(g, other_modified)):
            taken.add(g)
            conflicts.append(f"{g}: {side.value} wins ({policy.value})")
        else:
            conflicts.append(f"{g}: other side wins ({policy.value})")
    if taken:
        merged = take(base, after, taken)
    return MergeResult(merged, frozenset(taken), tuple(conflicts))


def _side_wins(
    side: Side, policy: ConflictPolicy, mine: datetime | None, theirs: datetime | None
) -> bool:
    if policy == ConflictPolicy.GAROON_WINS:
        return side == Side.GAROON
    if policy == ConflictPolicy.GRAPH_WINS:
        return side == Side.GRAPH
    if mine is None or theirs is None:
        return True  # the edit we are looking at is the newest we know of
    return mine >= theirs
