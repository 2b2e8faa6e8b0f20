"""garoon_connector.commands: SyncCommand(side=garoon) -> Garoon write -> CommandResult.

Idempotent create: Garoon has no client-supplied id, and the datastore marker can only be
written after the event exists, so a create whose response was lost leaves an event without
marker. Hence a pending record in `poll_cursors` ("create:<idempotency key>") is written *before*
the POST. A retry that finds the record with an id reuses that event; one that finds it without
id (outcome unknown) searches the user's events around the start for the marker, or for an
unmarked event with the same subject that the service account created since the record was
written, and adopts it; only when none exists does it create.

Updates are conditional (Garoon has no If-Match, so: read, compare with `base_version`, write;
a mismatch answers FAILED with what Garoon holds and the translator merges it) and touch only
the Garoon fields behind `command.fields`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kakehashi.bus.api import Bus, Poison, Retry
from kakehashi.contracts import Message
from kakehashi.contracts.envelope import deterministic_id
from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.messages import (
    CommandOp,
    CommandOutcome,
    CommandResult,
    Side,
    SyncCommand,
)
from kakehashi.contracts.state import Mapping, UserLink
from kakehashi.engine import timezones
from kakehashi.engine.merge import GROUPS, take
from kakehashi.engine.translate import garoon_rest
from kakehashi.garoon_client import GaroonError, InvalidRequest, NotFound
from kakehashi.garoon_connector import soap_shape
from kakehashi.garoon_connector.clients import ClientCache, TenantView, call
from kakehashi.garoon_connector.errors import bus_error
from kakehashi.garoon_connector.metrics import COMMANDS
from kakehashi.garoon_connector.read import MARKER, Snapshot, parse_stamp, read_event
from kakehashi.store import Store

log = logging.getLogger("kakehashi.garoon_connector")

# Normalized field group -> the Garoon REST fields that carry it. The memo (`notes`) also
# carries the Kakehashi block: outside participants, rooms, the Teams link.
_REST_FIELDS: dict[str, tuple[str, ...]] = {
    "when": ("start", "end", "isAllDay"),
    "title": ("subject",),
    "body": ("notes",),
    "join_url": ("notes",),
    "visibility": ("visibilityType",),
    "category": ("eventMenu",),
    "organizer": ("attendees",),
    "attendees": ("attendees", "notes"),
    "facilities": ("facilities", "notes"),
    "location": ("companyInfo",),
    "company": ("companyInfo",),
    "attendance_check": ("useAttendanceCheck",),
}
# How far before the pending record an adopted copy may have been created (clock skew).
_ADOPT_SLACK = timedelta(minutes=2)
# How long a claimed create that has no event yet counts as being made by another attempt.
IN_FLIGHT_GRACE = timedelta(seconds=10)


class Failed(Exception):
    """The command cannot be carried out; answered as a FAILED result (not retried)."""


class CommandHandler:
    def __init__(
        self,
        store: Store,
        bus: Bus,
        cache: ClientCache,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._bus = bus
        self._cache = cache
        self._clock = clock

    async def __call__(self, message: Message) -> None:
        if not isinstance(message, SyncCommand) or message.side != Side.GAROON:
            raise Poison(f"not a Garoon command: {message.KIND}")
        cmd = message
        view = await self._cache.get(cmd.tenant_id)
        link = await self._store.user_links.get(cmd.user_link_id)
        try:
            if link is None:
                raise Failed(f"unknown user link {cmd.user_link_id}")
            result = await self._execute(view, link, cmd)
        except Failed as exc:
            result = _result(cmd, CommandOutcome.FAILED, error=str(exc))
        except garoon_rest.Unexpressible as exc:
            result = _result(cmd, CommandOutcome.FAILED, error=str(exc))
        except GaroonError as exc:
            error = bus_error(exc, tenant_id=cmd.tenant_id, what=f"{cmd.op.value} command")
            if isinstance(error, Poison):
                # Garoon refused the input for good: tell the translator before dead-lettering.
                await self._publish(_result(cmd, CommandOutcome.FAILED, error=str(exc)))
            raise error from exc
        await self._publish(result)

    async def _publish(self, result: CommandResult) -> None:
        await self._bus.publish(result)
        COMMANDS.labels(result.op.value, result.outcome.value).inc()

    async def _execute(self, view: TenantView, link: UserLink, cmd: SyncCommand) -> CommandResult:
        if cmd.op == CommandOp.CREATE:
            return await self._create(view, link, cmd)
        if cmd.op == CommandOp.UPDATE:
            return await self._update(view, link, cmd)
        if cmd.op == CommandOp.DELETE:
            return await self._delete(view, cmd)
        raise Failed(f"{cmd.op.value} is not a Garoon operation")

    # ------------------------------------------------------------------ create
    async def _create(self, view: TenantView, link: UserLink, cmd: SyncCommand) -> CommandResult:
        ev = _event_of(cmd)
        name = f"create:{cmd.idempotency_key}"
        cursors = self._store.poll_cursors
        now = self._clock()
        fresh = json.dumps({"since": now.isoformat()})
        stored = await cursors.get(link.id, name)
        if stored is None and not await cursors.claim(link.id, name, fresh):
            stored = await cursors.get(link.id, name)  # another delivery claimed it first
        record: dict[str, Any] = json.loads(stored if stored is not None else fresh)
        target = record.get("id")
        if stored is not None and not target:
            since = datetime.fromisoformat(record["since"])
            target = await self._find_copy(view, link, ev, cmd.idempotency_key, since)
            if target:
                log.info(
                    "create retried: adopted the copy made by the first attempt",
                    extra={"mapping_id": cmd.mapping_id, "event_id": target},
                )
            elif now - since < IN_FLIGHT_GRACE:
                # Another delivery of this very create (a redelivery, a re-sent command) may
                # be making it right now: making a second would be a duplicate.
                raise Retry(
                    "an earlier attempt of this create may still be making it",
                    delay=IN_FLIGHT_GRACE.total_seconds(),
                )
            elif not await cursors.swap(link.id, name, stored, fresh):
                raise Retry("another attempt took this create over", delay=1.0)
            else:
                record = json.loads(fresh)  # the earlier attempt died before making it
        if not target:
            target, extra = await self._make(view, link, cmd, ev)
            record.update(id=target, **extra)
            await cursors.set(link.id, name, json.dumps(record))
            # Just made, so it has no datastore yet (split-off occurrences start without one):
            # mark it at once and read it back once, with the marker we know.
            marker = _marker(cmd, ev, record)
            try:
                await call(
                    "datastore_create", view.client.datastore_create(str(target), MARKER, marker)
                )
                snap = await read_event(view, str(target), marker=marker)
            except NotFound:
                snap = Snapshot(event_id=str(target))
        else:
            snap = await read_event(view, str(target))
            if not snap.deleted and snap.tag != cmd.idempotency_key:
                marker = _marker(cmd, ev, record)
                await call("datastore_put", view.client.datastore_put(str(target), MARKER, marker))
                snap = await read_event(view, str(target), marker=marker)
        if snap.deleted:
            # Our copy was deleted since: the translator recreates under a new key.
            return _result(cmd, CommandOutcome.NOT_FOUND, target_id=str(target))
        return _result(cmd, CommandOutcome.OK, target_id=str(target), snap=snap)

    async def _make(
        self, view: TenantView, link: UserLink, cmd: SyncCommand, ev: NormalizedEvent
    ) -> tuple[str, dict[str, Any]]:
        """The one non-idempotent call; returns the new id and what the marker should link."""
        rest = _in_sight(_with_user(garoon_rest.to_garoon(ev, view.translation), link), view)
        parent = await self._series_parent(view, cmd.mapping_id)
        if parent is not None and ev.original_start is not None and not ev.recurrence:
            # One occurrence edited on its own: Garoon splits it off the series (new id).
            series_id, day = parent
            rest.pop("repeatInfo", None)
            body = await _soap_event(view, rest, event_id=series_id)
            out = await call(
                "soap_modify_repeat_event",
                view.client.soap_modify_repeat_event(body, "this", day),
            )
            modified = out.get("modified") or {}
            if not modified.get("id"):
                raise Failed("ScheduleModifyRepeatEvents returned no modified event")
            return str(modified["id"]), {"series_id": series_id, "occurrence": day.isoformat()}
        if ev.recurrence is not None:
            # REST cannot create a series (fact sheet §1.2): SOAP with repeat_info.
            body = await _soap_event(view, rest)
            created = await call("soap_add_events", view.client.soap_add_events([body]))
            if not created or not created[0].get("id"):
                raise Failed("ScheduleAddEvents returned no event")
            return str(created[0]["id"]), {}
        write = garoon_rest.garoon_write_body(rest)
        write["eventType"] = "ALL_DAY" if ev.banner else "REGULAR"
        made = await call("create_event", view.client.create_event(write))
        return str(made["id"]), {}

    async def _find_copy(
        self, view: TenantView, link: UserLink, ev: NormalizedEvent, key: str, since: datetime
    ) -> str | None:
        assert ev.start is not None
        uid = await view.user_id(link.garoon_login)
        if uid is None:
            return None
        rows = await call(
            "list_events",
            view.client.list_events(
                target=uid,
                target_type="user",
                range_start=ev.start - timedelta(days=1),
                range_end=(ev.end or ev.start) + timedelta(days=1),
            ),
        )
        candidate = None
        for row in {str(r["id"]): r for r in rows if r.get("id")}.values():
            mine = (row.get("creator") or {}).get("code") == view.service_login
            if not mine and row.get("subject") != ev.title:
                continue
            marker = await call("datastore_get", view.client.datastore_get(row["id"], MARKER))
            if marker is not None:
                if marker.get("idempotency_key") == key:
                    return str(row["id"])
                continue
            created = parse_stamp(row.get("createdAt"))
            fresh = created is not None and created >= since - _ADOPT_SLACK
            if mine and fresh and row.get("subject") == ev.title:
                candidate = str(row["id"])
        return candidate

    async def _series_parent(self, view: TenantView, mapping_id: str) -> tuple[str, date] | None:
        """(Garoon series id, occurrence date) when the mapping is one occurrence of a series
        that exists on Garoon as a series."""
        mapping = await self._store.mappings.get(mapping_id)
        if mapping is None or not mapping.series_mapping_id:
            return None
        parent = await self._store.mappings.get(mapping.series_mapping_id)
        if parent is None or not parent.garoon_id:
            return None
        day = _occurrence_day(mapping)
        return (parent.garoon_id, day) if day else None

    # ------------------------------------------------------------------ update
    async def _update(self, view: TenantView, link: UserLink, cmd: SyncCommand) -> CommandResult:
        ev = _event_of(cmd)
        if not cmd.target_id:
            raise Failed("update without a target id")
        snap = await read_event(view, cmd.target_id)
        if snap.deleted or snap.event is None:
            return _result(cmd, CommandOutcome.NOT_FOUND, target_id=cmd.target_id)
        if cmd.base_version and snap.version != cmd.base_version:
            return _conflict(cmd, snap)
        groups = {g for g, fs in GROUPS.items() if set(fs) & set(cmd.fields)} or set(GROUPS)
        merged = take(snap.event, ev, groups)
        held_watchers = (snap.raw or {}).get("watchers") or []
        rest = _in_sight(
            _with_user(garoon_rest.to_garoon(merged, view.translation), link), view, held_watchers
        )
        write = garoon_rest.garoon_write_body(rest)
        # PATCH needs `start` (old doc; the simulator's default); arrays replace wholesale.
        patch: dict[str, Any] = {"start": write["start"], "end": write["end"]}
        for group in groups:
            for name in _REST_FIELDS.get(group, ()):
                patch[name] = write[name]
        if "watchers" in write and not _watching(held_watchers, view.service_login):
            patch["watchers"] = write["watchers"]
        if snap.repeating and "when" in groups and _rule_changed(snap.event, merged):
            # REST cannot change a rule (fact sheet §2.4): overwrite the series through SOAP
            # ("all"), which also carries every other field of the merged event.
            await self._modify_series(view, cmd.target_id, rest)
        else:
            if snap.repeating and "when" in groups:
                await self._exclude(view, cmd.target_id, snap.event, merged)
            await call("update_event", view.client.update_event(cmd.target_id, patch))
        # A PATCH or SOAP modify leaves the datastore as it was: no second marker read.
        after = await read_event(view, cmd.target_id, marker=snap.marker)
        if after.deleted:
            return _result(cmd, CommandOutcome.NOT_FOUND, target_id=cmd.target_id)
        return _result(cmd, CommandOutcome.OK, target_id=cmd.target_id, snap=after)

    async def _modify_series(self, view: TenantView, series_id: str, rest: dict[str, Any]) -> None:
        found = await call("soap_get_events_by_id", view.client.soap_get_events_by_id([series_id]))
        if not found:
            raise NotFound("series vanished", code="GRN_SCHD_13001")
        current = found[0]
        body = await _soap_event(view, rest, event_id=series_id)
        body["version"] = current.get("version")
        # The overwrite would drop what the normalized event does not carry: keep watchers,
        # and every exclusion Garoon already has (split-off occurrences among them).
        kept = [o for o in current.get("observers") or [] if o.get("id") and o.get("type")]
        ours = body.get("observers") or []
        body["observers"] = kept + [o for o in ours if o not in kept]
        if not body["observers"]:
            del body["observers"]
        held = (current.get("repeat_info") or {}).get("exclusive_datetimes") or []
        info = body["repeat_info"]
        days = {str(x.get("start", ""))[:10] for x in info["exclusive_datetimes"]}
        info["exclusive_datetimes"] += [x for x in held if str(x.get("start", ""))[:10] not in days]
        await call("soap_modify_repeat_event", view.client.soap_modify_repeat_event(body, "all"))

    async def _exclude(
        self, view: TenantView, series_id: str, held: NormalizedEvent, wanted: NormalizedEvent
    ) -> None:
        """Occurrences deleted on the other side: SOAP remove type "this", one per date.

        Only `excluded` dates: an `overridden` date is split off by its own create command,
        which needs the occurrence to still be there."""
        if held.recurrence is None or wanted.recurrence is None:
            return
        gone = set(wanted.recurrence.excluded) - set(held.recurrence.excluded)
        for day in sorted(gone):
            try:
                await call(
                    "soap_remove_from_repeat_event",
                    view.client.soap_remove_from_repeat_event(series_id, "this", day),
                )
            except InvalidRequest:
                log.info("occurrence already gone", extra={"event_id": series_id, "day": str(day)})

    # ------------------------------------------------------------------ delete
    async def _delete(self, view: TenantView, cmd: SyncCommand) -> CommandResult:
        parent = await self._series_parent(view, cmd.mapping_id)
        if parent is not None and (not cmd.target_id or cmd.target_id == parent[0]):
            # One occurrence still inside its series: remove just that date.
            series_id, day = parent
            try:
                await call(
                    "soap_remove_from_repeat_event",
                    view.client.soap_remove_from_repeat_event(series_id, "this", day),
                )
            except (NotFound, InvalidRequest):
                return _result(cmd, CommandOutcome.NOT_FOUND, target_id=cmd.target_id)
            return _result(cmd, CommandOutcome.OK, target_id=cmd.target_id)
        if not cmd.target_id:
            return _result(cmd, CommandOutcome.NOT_FOUND)
        snap = await read_event(view, cmd.target_id)
        if snap.deleted:
            return _result(cmd, CommandOutcome.NOT_FOUND, target_id=cmd.target_id)
        if cmd.base_version and snap.version != cmd.base_version:
            return _conflict(cmd, snap)  # edited since the decision: edit beats delete
        try:
            await call("delete_event", view.client.delete_event(cmd.target_id))
        except NotFound:
            return _result(cmd, CommandOutcome.NOT_FOUND, target_id=cmd.target_id)
        return _result(cmd, CommandOutcome.OK, target_id=cmd.target_id)


# ---------------------------------------------------------------------- helpers
def _event_of(cmd: SyncCommand) -> NormalizedEvent:
    if cmd.event is None or cmd.event.start is None or cmd.event.end is None:
        raise Poison(f"{cmd.op.value} command without an event with start and end")
    return cmd.event


def _in_sight(
    rest: dict[str, Any], view: TenantView, held: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Garoon shows a private event only to its attendees and 公開先 (watchers): the service
    account joins the watchers, or it could not read back, update or delete what it wrote."""
    if rest.get("visibilityType") != "PRIVATE":
        return rest
    watchers = [{"type": w["type"], "code": w["code"]} for w in held or [] if w.get("code")]
    if not _watching(watchers, view.service_login):
        watchers.append({"type": "USER", "code": view.service_login})
    rest["watchers"] = watchers
    return rest


def _watching(watchers: list[dict[str, Any]], login: str) -> bool:
    return any(w.get("type") == "USER" and w.get("code") == login for w in watchers)


def _with_user(rest: dict[str, Any], link: UserLink) -> dict[str, Any]:
    """The linked user must attend, or the event would not be on their schedule."""
    if not any(a.get("code") == link.garoon_login for a in rest["attendees"]):
        rest["attendees"] = [{"type": "USER", "code": link.garoon_login}, *rest["attendees"]]
    return rest


async def _soap_event(
    view: TenantView, rest: dict[str, Any], *, event_id: str | None = None
) -> dict[str, Any]:
    users = [await view.user_id(str(a["code"])) for a in rest["attendees"]]
    facilities = [await view.facility_id(str(f["code"])) for f in rest["facilities"]]
    watching = [
        await view.user_id(str(w["code"]))
        for w in rest.get("watchers") or []
        if w.get("type") == "USER"
    ]
    return soap_shape.soap_event(
        rest,
        user_ids=[u for u in users if u],
        facility_ids=[f for f in facilities if f],
        watcher_ids=[w for w in watching if w],
        event_id=event_id,
    )


def _rule_changed(held: NormalizedEvent, wanted: NormalizedEvent) -> bool:
    """True when a series' rule or time slot differs, beyond deleted occurrences."""
    if held.recurrence is None or wanted.recurrence is None:
        return held.recurrence != wanted.recurrence
    keep = {"excluded": (), "overridden": ()}
    slot = ("start", "end", "timezone", "all_day")
    return held.recurrence.model_copy(update=keep) != wanted.recurrence.model_copy(
        update=keep
    ) or any(getattr(held, f) != getattr(wanted, f) for f in slot)


def _occurrence_day(mapping: Mapping) -> date | None:
    if mapping.occurrence_date is not None:
        return mapping.occurrence_date
    base = mapping.base
    if base is not None and base.original_start is not None:
        return timezones.local_date(base.original_start, base.timezone)
    return None


def _result(
    cmd: SyncCommand,
    outcome: CommandOutcome,
    *,
    target_id: str | None = None,
    snap: Snapshot | None = None,
    error: str | None = None,
) -> CommandResult:
    # A fixed id per command: a re-run after a lost ack yields a duplicate the translator drops.
    return CommandResult(
        **cmd.caused(message_id=deterministic_id("garoon-result", cmd.message_id)),
        side=Side.GAROON,
        op=cmd.op,
        user_link_id=cmd.user_link_id,
        mapping_id=cmd.mapping_id,
        command_id=cmd.message_id,
        outcome=outcome,
        target_id=target_id,
        new_version=snap.version if snap else None,
        event=snap.event if snap else None,
        error=error,
    )


def _conflict(cmd: SyncCommand, snap: Snapshot) -> CommandResult:
    """Garoon changed since the translator decided: say what it holds (results.py merges it)."""
    return _result(
        cmd,
        CommandOutcome.FAILED,
        target_id=snap.event_id,
        snap=snap,
        error=f"conflict: Garoon holds {snap.version}, the command was based on {cmd.base_version}",
    )


def _marker(cmd: SyncCommand, ev: NormalizedEvent, record: dict[str, Any]) -> dict[str, Any]:
    return {
        "mapping_id": cmd.mapping_id,
        "idempotency_key": cmd.idempotency_key,
        "organizer": ev.organizer.garoon_login if ev.organizer else None,
        "series_id": record.get("series_id"),
        "occurrence": record.get("occurrence"),
    }
