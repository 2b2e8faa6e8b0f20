"""Commands -> Graph writes, each safe to run twice.

- create: transactionId = the command's idempotency key, plus our tag (value = mapping id).
  Before POSTing we look for a copy carrying our tag *and* that transactionId, so a create
  retried after a lost answer (or redelivered after a crash) hands back the first copy. A
  recreate uses a new key, so it never hands back the copy that was deleted.
- create of one occurrence edited on its own (a child mapping: `series_mapping_id` set, its
  date in `occurrence_date`): PATCH the parent series' occurrence on that date, which makes it
  an exception (its id and iCalUId go back in the result), tagged like any copy of ours. An
  occurrence already cancelled (or not there) gets a normal event instead. Run twice, the
  exception carrying our tag is handed back. Later updates and deletes name the exception's
  id like any event (DELETE of an occurrence id cancels that occurrence).
- update: PATCH only the Graph properties behind `command.fields`, and of those only what
  differs from what the event holds now (a PATCH that re-sends an unchanged series time or
  rule would make Exchange drop the series' exceptions).
- delete: DELETE; already gone counts as done.
- a write based on a version the event no longer has is refused with what the event holds
  (outcome FAILED + event), which the engine merges like an observation. Graph documents no
  If-Match for events, so this is a read-then-write check with a small race window.
- respond: answer the meeting for each attendee named, in that attendee's own copy (found by
  the organizer copy's iCalUId), with sendResponse so the organizer's copy shows it. No copy
  (not invited there, an occurrence of a series) is skipped; answering twice is harmless.
- attendees are never written unless `notify_attendees` says the translator means the mail
  (peer-lessons #5): Exchange mails every attendee added, changed or cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from kakehashi.contracts.event import NormalizedEvent, Person, Response
from kakehashi.contracts.messages import CommandOutcome, SyncCommand
from kakehashi.contracts.state import Mapping
from kakehashi.engine import body as body_text
from kakehashi.engine import timezones
from kakehashi.engine.merge import GROUPS
from kakehashi.engine.translate import graph as graph_translate
from kakehashi.engine.translate.common import graph_block
from kakehashi.graph_client import Conflict, NotFound, tag_value
from kakehashi.graph_connector import bodies
from kakehashi.graph_connector.mailbox import TAG_ID, Mailbox, event_missing
from kakehashi.graph_connector.read import Seen, from_raw, parse_time, read

log = logging.getLogger("kakehashi.graph_connector")
JSON = dict[str, Any]


@dataclass(frozen=True)
class Outcome:
    outcome: CommandOutcome
    target_id: str | None = None
    seen: Seen | None = None  # the target as read back after the write
    join_url: str | None = None
    error: str | None = None


class InvalidCommand(Exception):
    """The command cannot be carried out as given (missing event, missing target)."""


async def read_back(mb: Mailbox, event_id: str) -> Seen | None:
    """The event as Graph now holds it (series with its overrides), for the result's echo."""
    for seen in await read(mb, event_id):
        if seen.source_id == event_id and not seen.deleted:
            return seen
    return None


async def _ok(mb: Mailbox, target: str) -> Outcome:
    seen = await read_back(mb, target)
    return Outcome(CommandOutcome.OK, target, seen)


async def _ok_as_answered(mb: Mailbox, target: str, answer: JSON, tag: str | None) -> Outcome:
    """OK with the event as the write answered it, without reading it back.

    Graph answers a POST (201) and a PATCH (200) with the whole event, changeKey included,
    but never with our extended property (graph-api.md §5): `tag` is what the event holds,
    as we wrote it or read it just before. An answer for another id (mutable ids change on
    update) or without a version is read back instead.
    """
    if str(answer.get("id")) != target or not answer.get("changeKey"):
        return await _ok(mb, target)
    raw = dict(answer)
    raw.pop("singleValueExtendedProperties", None)
    if tag is not None:
        raw["singleValueExtendedProperties"] = [{"id": TAG_ID, "value": tag}]
    for seen in await from_raw(mb, raw):
        if seen.source_id == target and not seen.deleted:
            return Outcome(CommandOutcome.OK, target, seen)
    return Outcome(CommandOutcome.OK, target, None)


# ------------------------------------------------------------------------------ create
async def find_own_copy(mb: Mailbox, cmd: SyncCommand) -> JSON | None:
    """A copy made by an earlier attempt of this very create (same tag, same transactionId)."""
    for raw in await mb.client.find_by_tag(mb.user, TAG_ID, cmd.mapping_id):
        if raw.get("transactionId") == cmd.idempotency_key:
            return raw
    return None


async def create(mb: Mailbox, cmd: SyncCommand) -> Outcome:
    if cmd.event is None:
        raise InvalidCommand("create without an event")
    existing = await find_own_copy(mb, cmd)
    if existing is not None:
        log.info(
            "create already done, handing back the first copy",
            extra={"mapping_id": cmd.mapping_id, "event_id": existing.get("id")},
        )
        return await _ok(mb, str(existing["id"]))
    occurrence = await _occurrence_of(mb, cmd)
    if occurrence is not None:
        master_id, day = occurrence
        made = await _split_occurrence(mb, cmd, cmd.event, master_id, day)
        if made is not None:
            return made
        log.info(
            "occurrence to split is gone: creating a normal event",
            extra={"mapping_id": cmd.mapping_id, "series": master_id, "day": day.isoformat()},
        )
    payload = _writable(cmd, cmd.event, mb)
    try:
        created = await mb.client.create_event(
            mb.user, payload, cmd.idempotency_key, tag=(TAG_ID, cmd.mapping_id)
        )
    except Conflict:
        # A server that answers a replayed transactionId with 409 instead of the original.
        existing = await find_own_copy(mb, cmd)
        if existing is None:
            raise
        created = existing
    target = str(created["id"])
    if cmd.event.recurrence and cmd.event.recurrence.excluded:
        await _cancel_occurrences(mb, target, set(cmd.event.recurrence.excluded))
        return await _ok(mb, target)  # the answer predates the cancellations
    return await _ok_as_answered(mb, target, created, cmd.mapping_id)


def _writable(cmd: SyncCommand, ev: NormalizedEvent, mb: Mailbox) -> JSON:
    payload = bodies.resource(ev, mb.translation)
    if not cmd.notify_attendees and payload.get("attendees"):
        # Adding people mails them an invitation; the translator did not ask for that. Rooms
        # are booked as resource attendees (graph-api.md §7.2) and mail nobody: always kept.
        log.info("write without people: not meant to notify", extra={"mapping": cmd.mapping_id})
        payload["attendees"] = bodies.attendees_of(payload, "resource")
    return payload


def occurrence_day(mapping: Mapping) -> date | None:
    """The series date a child mapping stands for (its original local date)."""
    if mapping.occurrence_date is not None:
        return mapping.occurrence_date
    base = mapping.base
    if base is not None and base.original_start is not None:
        return timezones.local_date(base.original_start, base.timezone)
    return None


async def _occurrence_of(mb: Mailbox, cmd: SyncCommand) -> tuple[str, date] | None:
    """(the parent's Graph series master id, the occurrence date) when the command creates one
    occurrence of a series edited on its own, found through the mapping store."""
    if cmd.event is None or cmd.event.recurrence is not None:
        return None
    mapping = await mb.store.mappings.get(cmd.mapping_id)
    if mapping is None or mapping.tenant_id != cmd.tenant_id or not mapping.series_mapping_id:
        return None
    parent = await mb.store.mappings.get(mapping.series_mapping_id)
    if parent is None or parent.tenant_id != cmd.tenant_id or not parent.graph.id:
        return None
    day = occurrence_day(mapping)
    return (parent.graph.id, day) if day is not None else None


async def _split_occurrence(
    mb: Mailbox, cmd: SyncCommand, ev: NormalizedEvent, master_id: str, day: date
) -> Outcome | None:
    """PATCH the master's occurrence on `day` (the series' zone) into an exception with the
    command's fields and our tag. None when there is no such occurrence (cancelled, the
    series gone or changed): the caller creates a normal event."""
    try:
        master = await mb.client.get_event(mb.user, master_id)
    except NotFound as exc:
        if not event_missing(exc):
            raise
        return None
    tz = graph_translate.from_graph(master, mb.translation).timezone
    start = timezones.local_midnight(day - timedelta(days=1), tz)
    end = timezones.local_midnight(day + timedelta(days=2), tz)
    for item in await mb.client.instances(mb.user, master_id, start, end):
        when = parse_time(item.get("originalStart"))
        if when is None or timezones.local_date(when, tz) != day:
            continue
        if item.get("isCancelled"):
            return None
        target = str(item["id"])
        if item.get("type") == "exception":
            current = await mb.client.get_event(mb.user, target, expand_tag=TAG_ID)
            if tag_value(current, TAG_ID) == cmd.mapping_id:
                return await _ok(mb, target)  # our first attempt made it already
        patch = _writable(cmd, ev, mb)
        patch.pop("recurrence", None)
        patch["singleValueExtendedProperties"] = [{"id": TAG_ID, "value": cmd.mapping_id}]
        try:
            answer = await mb.client.update_event(mb.user, target, patch)
        except NotFound as exc:
            if not event_missing(exc):
                raise
            return None  # cancelled meanwhile
        return await _ok_as_answered(mb, target, answer, cmd.mapping_id)
    return None


# ------------------------------------------------------------------------------ update
async def update(mb: Mailbox, cmd: SyncCommand) -> Outcome:
    if cmd.event is None or not cmd.target_id:
        raise InvalidCommand("update without an event or a target")
    try:
        current = await mb.client.get_event(mb.user, cmd.target_id, expand_tag=TAG_ID)
    except NotFound as exc:
        if not event_missing(exc):
            raise
        return Outcome(CommandOutcome.NOT_FOUND, cmd.target_id, error="the event is gone")
    refused = await _stale(mb, cmd, current)
    if refused is not None:
        return refused
    groups = {g for g, names in GROUPS.items() if set(names) & set(cmd.fields)}
    patch, exclusions = _patch(mb, cmd, cmd.event, current, groups)
    # Without a PATCH, the event is as just read (with its tag).
    answer = await mb.client.update_event(mb.user, cmd.target_id, patch) if patch else current
    if exclusions:
        await _cancel_occurrences(mb, cmd.target_id, exclusions)
        return await _ok(mb, cmd.target_id)  # the answer predates the cancellations
    return await _ok_as_answered(mb, cmd.target_id, answer, tag_value(current, TAG_ID))


def _patch(
    mb: Mailbox, cmd: SyncCommand, ev: NormalizedEvent, current: JSON, groups: set[str]
) -> tuple[JSON, set[date]]:
    want = bodies.resource(ev, mb.translation)
    have = graph_translate.from_graph(current, mb.translation)
    patch: JSON = {}
    exclusions: set[date] = set()
    if "title" in groups and have.title != ev.title:
        patch["subject"] = want["subject"]
    if "visibility" in groups and have.visibility != ev.visibility:
        patch["sensitivity"] = want["sensitivity"]
    if "category" in groups and have.category != ev.category:
        patch["categories"] = want["categories"]
    if "location" in groups and have.location != ev.location:
        patch["location"] = want["location"]
    if "attendance_check" in groups and have.attendance_check != ev.attendance_check:
        patch["responseRequested"] = want["responseRequested"]
    # The Kakehashi block carries company info and Garoon-only people and rooms.
    block_groups = groups & {"body", "company", "attendees", "facilities"}
    if block_groups and _block_of(have) != _block_of(ev):
        content = str((current.get("body") or {}).get("content") or "")
        html = body_text.text_to_html(body_text.render(ev.body, graph_block(ev)))
        kept = bodies.with_block(html, bodies.teams_block(content))
        patch["body"] = {"contentType": "html", "content": kept}
    if "when" in groups:
        if _when(have) != _when(ev):
            patch.update(start=want["start"], end=want["end"], isAllDay=want["isAllDay"])
        if _rule(have) != _rule(ev):
            # The range startDate must match the start's date: send both together.
            patch.update(start=want["start"], end=want["end"], isAllDay=want["isAllDay"])
            patch["recurrence"] = want.get("recurrence")
        elif ev.recurrence is not None and have.recurrence is not None:
            exclusions = set(ev.recurrence.excluded) - set(have.recurrence.excluded)
    if groups & {"attendees", "facilities"}:
        people = bodies.attendees_of(want if "attendees" in groups else current, "people")
        rooms = bodies.attendees_of(want if "facilities" in groups else current, "resource")
        now = bodies.attendees_of(current, "people") + bodies.attendees_of(current, "resource")
        if _addresses(people + rooms) != _addresses(now):
            if cmd.notify_attendees:
                patch["attendees"] = people + rooms
            elif _addresses(rooms) != _addresses(bodies.attendees_of(current, "resource")):
                # Rooms mail nobody: rebook them, keeping the people exactly as they are.
                patch["attendees"] = bodies.attendees_of(current, "people") + rooms
            else:
                log.warning(
                    "attendee change not written: the command does not mean to mail them",
                    extra={"mapping_id": cmd.mapping_id},
                )
    return patch, exclusions


def _block_of(ev: NormalizedEvent) -> object:
    return (ev.body, ev.company, graph_block(ev))


def _when(ev: NormalizedEvent) -> object:
    return (ev.start, ev.end, ev.all_day, ev.timezone)


def _rule(ev: NormalizedEvent) -> object:
    """The repeat rule without the per-occurrence overrides (those are separate writes)."""
    if ev.recurrence is None:
        return None
    return ev.recurrence.model_copy(update={"excluded": (), "overridden": ()})


def _addresses(attendees: list[JSON]) -> list[tuple[str, str]]:
    return sorted(
        (str(a.get("type")), str((a.get("emailAddress") or {}).get("address") or "").lower())
        for a in attendees
    )


async def _cancel_occurrences(mb: Mailbox, master_id: str, days: set[date]) -> None:
    """Delete the occurrences falling on `days` (the engine's `excluded` dates)."""
    if not days:
        return
    master = await mb.client.get_event(mb.user, master_id)
    tz = graph_translate.from_graph(master, mb.translation).timezone
    start = timezones.local_midnight(min(days), tz)
    end = timezones.local_midnight(max(days) + timedelta(days=1), tz)
    doomed = []
    for item in await mb.client.instances(mb.user, master_id, start, end):
        when = parse_time(item.get("originalStart"))
        if item.get("type") == "occurrence" and when and timezones.local_date(when, tz) in days:
            doomed.append(str(item["id"]))
    # One $batch call per 20 occurrences rather than one DELETE each.
    for error in await mb.client.delete_events(mb.user, doomed) if doomed else []:
        if error is not None and not (isinstance(error, NotFound) and event_missing(error)):
            raise error  # cancelled meanwhile is as wanted; anything else is not


# ------------------------------------------------------------------------------ respond
_ANSWER = {Response.ACCEPTED: "accept", Response.DECLINED: "decline"}


async def respond(mb: Mailbox, cmd: SyncCommand) -> Outcome:
    if not cmd.target_id:
        raise InvalidCommand("respond without a target")
    try:
        meeting = await mb.client.get_event(mb.user, cmd.target_id)
    except NotFound as exc:
        if not event_missing(exc):
            raise
        return Outcome(CommandOutcome.NOT_FOUND, cmd.target_id, error="the event is gone")
    uid = meeting.get("iCalUId")
    for person in cmd.responses:
        action = _ANSWER.get(person.response)
        if not uid or not person.email or action is None:
            continue
        user = await _mailbox_of(mb, cmd.tenant_id, person)
        copies = await mb.client.find_by_ical_uid(user, str(uid))
        if not copies:
            log.info("no attendee copy to answer in", extra={"mapping_id": cmd.mapping_id})
            continue
        reply = mb.client.accept_event if action == "accept" else mb.client.decline_event
        await reply(user, str(copies[0]["id"]), comment=person.comment, send_response=True)
    return Outcome(CommandOutcome.OK, cmd.target_id)


async def _mailbox_of(mb: Mailbox, tenant_id: str, person: Person) -> str:
    """The attendee's mailbox as their link names it (Mailbox.user's spelling: the Graph id
    when known, as an address need not be the userPrincipalName)."""
    link = None
    if person.garoon_login:
        link = await mb.store.user_links.by_garoon_login(tenant_id, person.garoon_login)
    if link is not None and link.graph_user_id:
        return link.graph_user_id
    return str(person.email)


# ------------------------------------------------------------------------------ delete
async def delete(mb: Mailbox, cmd: SyncCommand) -> Outcome:
    if not cmd.target_id:
        return Outcome(CommandOutcome.OK, None)  # nothing was ever written there
    try:
        current = await mb.client.get_event(mb.user, cmd.target_id, expand_tag=TAG_ID)
    except NotFound as exc:
        if not event_missing(exc):
            raise
        return Outcome(CommandOutcome.OK, cmd.target_id)
    refused = await _stale(mb, cmd, current)
    if refused is not None:
        return refused
    await _delete_quietly(mb, cmd.target_id)  # deleted meanwhile: done all the same
    return Outcome(CommandOutcome.OK, cmd.target_id)


async def _delete_quietly(mb: Mailbox, event_id: str) -> None:
    try:
        await mb.client.delete_event(mb.user, event_id)
    except NotFound as exc:
        if not event_missing(exc):
            raise


async def _stale(mb: Mailbox, cmd: SyncCommand, current: JSON) -> Outcome | None:
    """FAILED + what the event holds, when it changed since the version the command is based on."""
    if cmd.base_version is None or current.get("changeKey") == cmd.base_version:
        return None
    seen = await read_back(mb, str(current["id"]))
    return Outcome(
        CommandOutcome.FAILED,
        cmd.target_id,
        seen,
        error=f"conflict: version changed since {cmd.base_version}",
    )
