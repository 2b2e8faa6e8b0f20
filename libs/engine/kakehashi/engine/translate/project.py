"""An event as one side can hold it: the round trip through that side's shape."""

from __future__ import annotations

from kakehashi.contracts.event import NormalizedEvent, Response
from kakehashi.contracts.messages import Side
from kakehashi.engine.occurrences import align_series
from kakehashi.engine.translate import garoon_rest, graph
from kakehashi.engine.translate.context import TranslationContext


def project(
    ev: NormalizedEvent,
    side: Side,
    ctx: TranslationContext,
    held: NormalizedEvent | None = None,
) -> NormalizedEvent:
    """`ev` as `side` holds it after we write it: what it cannot say is dropped (e.g. a
    tentative reply on Garoon), and what we cannot write stays as it was, so comparing a
    read-back or an observation with it never mistakes a side's limits for a user's edit.

    Attendee responses are the attendees' own: neither Garoon REST nor an event write on Graph
    sets another person's response (Graph answers go through the attendee's own copy, a
    RESPOND command, not this write). A write leaves the responses and comments `held` (the
    side's last snapshot) had for the people who stay, and "none" for everyone new (and for
    every attendee of a create)."""
    if ev.start is None or ev.end is None:
        return ev
    return _keep_responses(_project(ev, side, ctx), held)


def _keep_responses(ev: NormalizedEvent, held: NormalizedEvent | None) -> NormalizedEvent:
    known = {p.key: p for p in held.attendees} if held is not None else {}
    people = tuple(
        p.model_copy(
            update={
                "response": known[p.key].response if p.key in known else Response.NONE,
                "comment": known[p.key].comment if p.key in known else "",
            }
        )
        for p in ev.attendees
    )
    if people == ev.attendees:
        return ev
    return ev.model_copy(update={"attendees": people})


def _project(ev: NormalizedEvent, side: Side, ctx: TranslationContext) -> NormalizedEvent:
    try:
        if side == Side.GAROON:
            out = garoon_rest.from_garoon(garoon_rest.to_garoon(ev, ctx), ctx)
        else:
            out = graph.from_graph(graph.to_graph(ev, ctx), ctx)
    except garoon_rest.Unexpressible:
        return ev  # written as single occurrences; the series record keeps the rule
    # Garoon holds a split-off occurrence as an exclusion: read it as the override it is.
    aligned = align_series(out, ev, side)
    assert aligned is not None
    return aligned.model_copy(update={"versions": ev.versions})
