"""Garoon schedule operations: REST for single events, datastore and directory lookups; SOAP
for repeating events (REST can neither create a series nor touch one occurrence).

REST results are Garoon's JSON objects as returned; SOAP results use the dict shape documented
in `kakehashi.garoon_client.soap`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal

from kakehashi.garoon_client import soap
from kakehashi.garoon_client.errors import InvalidRequest, NotFound, ProtocolError
from kakehashi.garoon_client.http import GaroonHttp, path_segment
from kakehashi.garoon_client.soap import wire

JSON = dict[str, Any]
RepeatScope = Literal["this", "after", "all"]
_PAGE = 1000  # Garoon's maximum `limit`


def _rfc3339(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime; pass a timezone-aware value")
    return value.isoformat()


class GaroonClient(GaroonHttp):
    """Calls Garoon as the configured user (Garoon has no "act as" header)."""

    # ---------------------------------------------------------------- REST: events

    async def get_event(self, event_id: str | int) -> JSON:
        """One event; for a repeating event this is the series, not an occurrence."""
        return await self._object("GET", f"/schedule/events/{path_segment(event_id)}")

    async def list_events(
        self,
        *,
        target: str | int | None = None,
        target_type: Literal["user", "organization", "facility"] | None = None,
        range_start: datetime | None = None,
        range_end: datetime | None = None,
        order_by: str | None = None,
        limit: int = _PAGE,
        show_private: bool = False,
        fields: Sequence[str] = (),
        keyword: str | None = None,
    ) -> list[JSON]:
        """Every event row in the range (repeating events once per occurrence), all pages.

        Paging follows `hasNext`, never the row count: Garoon may return fewer rows than
        `limit` while more exist (rows the caller cannot see leave holes), so the offset
        advances by `limit`.
        """
        if (target is None) != (target_type is None):
            raise ValueError("target and target_type go together")
        params: dict[str, str] = {"limit": str(limit)}
        if target is not None and target_type is not None:
            params["target"] = str(target)
            params["targetType"] = target_type
        if range_start is not None:
            params["rangeStart"] = _rfc3339(range_start)
        if range_end is not None:
            params["rangeEnd"] = _rfc3339(range_end)
        if order_by:
            params["orderBy"] = order_by
        if show_private:
            params["showPrivate"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        if keyword:
            params["keyword"] = keyword
        return await self._paged("/schedule/events", "events", params, limit)

    async def create_event(self, event: Mapping[str, Any]) -> JSON:
        """POST a REGULAR or ALL_DAY event; returns the created event (with its id)."""
        return await self._object("POST", "/schedule/events", body=dict(event))

    async def update_event(self, event_id: str | int, patch: Mapping[str, Any]) -> JSON:
        """PATCH (a series as a whole for repeating events). Send full arrays: they replace."""
        return await self._object(
            "PATCH", f"/schedule/events/{path_segment(event_id)}", body=dict(patch)
        )

    async def delete_event(self, event_id: str | int) -> None:
        """DELETE; for a repeating event every occurrence goes."""
        await self.rest("DELETE", f"/schedule/events/{path_segment(event_id)}")

    # ---------------------------------------------------------------- REST: datastore

    def _datastore_path(self, event_id: str | int, name: str) -> str:
        return f"/schedule/events/{path_segment(event_id)}/datastore/{path_segment(name)}"

    async def datastore_get(self, event_id: str | int, name: str) -> JSON | None:
        """The stored value, or None when this event has no datastore of that name."""
        try:
            body = await self._object("GET", self._datastore_path(event_id, name))
        except NotFound as exc:
            if exc.code == "GRN_SCHD_13001":  # the event itself is missing: say so
                raise
            return None
        value = body.get("value")
        return value if isinstance(value, dict) else None

    async def datastore_put(self, event_id: str | int, name: str, value: Mapping[str, Any]) -> JSON:
        """Create or replace (PUT when it exists, POST when it does not)."""
        path = self._datastore_path(event_id, name)
        try:
            body = await self._object("PUT", path, body={"value": dict(value)})
        except NotFound as exc:
            if exc.code == "GRN_SCHD_13001":
                raise
            try:
                body = await self._object("POST", path, body={"value": dict(value)})
            except InvalidRequest:
                # Another writer created the entry between our PUT and POST ("already
                # exists; use PUT"): replace it now instead of failing the whole write.
                body = await self._object("PUT", path, body={"value": dict(value)})
        stored = body.get("value")
        return stored if isinstance(stored, dict) else dict(value)

    async def datastore_create(
        self, event_id: str | int, name: str, value: Mapping[str, Any]
    ) -> JSON:
        """For an event that has no entry of that name yet (one just created): POST, and
        PUT only if another writer created it in between. Saves `datastore_put`'s failing PUT."""
        path = self._datastore_path(event_id, name)
        try:
            body = await self._object("POST", path, body={"value": dict(value)})
        except InvalidRequest:
            body = await self._object("PUT", path, body={"value": dict(value)})
        stored = body.get("value")
        return stored if isinstance(stored, dict) else dict(value)

    async def datastore_delete(self, event_id: str | int, name: str) -> bool:
        """True when something was deleted, False when there was nothing to delete."""
        try:
            await self.rest("DELETE", self._datastore_path(event_id, name))
        except NotFound as exc:
            if exc.code == "GRN_SCHD_13001":
                raise
            return False
        return True

    # ---------------------------------------------------------------- REST: directory

    async def list_facilities(self, name: str | None = None) -> list[JSON]:
        params = {"limit": str(_PAGE)}
        if name:
            params["name"] = name
        return await self._paged("/schedule/facilities", "facilities", params, _PAGE)

    async def list_users(self, name: str | None = None) -> list[JSON]:
        """`users[{id, name, code}]`; `name` matches display and login names (partial)."""
        params = {"limit": str(_PAGE)}
        if name:
            params["name"] = name
        return await self._paged("/base/users", "users", params, _PAGE)

    async def get_user_by_login(self, login: str) -> JSON | None:
        """The user whose login name (`code`) is exactly `login`, or None."""
        for user in await self.list_users(login):
            if user.get("code") == login:
                return user
        return None

    # ---------------------------------------------------------------- SOAP: schedule

    async def soap_add_events(self, events: Iterable[Mapping[str, Any]]) -> list[JSON]:
        """ScheduleAddEvents (also repeating events with `repeat_info`); returns the created."""
        params = soap.parameters()
        for event in events:
            # Garoon wants placeholder id/version on new events.
            params.append(soap.event_element({"id": "dummy", "version": "dummy", **event}))
        return soap.events_in(await self.soap_call("ScheduleAddEvents", params))

    async def soap_modify_repeat_event(
        self,
        event: Mapping[str, Any],
        scope: RepeatScope,
        day: date | None = None,
    ) -> dict[str, JSON | None]:
        """ScheduleModifyRepeatEvents: change one occurrence (`this` + day), the occurrences
        from `day` on (`after`), or the whole series (`all`). `event` is the complete event
        (Garoon overwrites, so omitted items become empty).

        Returns {"original": series after the edit, "modified": the split-off event}.
        """
        if scope != "all" and day is None:
            raise ValueError("scope 'this'/'after' needs the occurrence date")
        params = soap.parameters()
        op_attrs: dict[str, str] = {"type": scope}
        if day is not None:
            op_attrs["date"] = wire(day)
        op = ET.SubElement(params, "operation", op_attrs)
        op.append(soap.event_element(event))
        returns = await self.soap_call("ScheduleModifyRepeatEvents", params)
        result = soap.find_path(returns, "result") or returns
        return {
            "original": soap.event_or_child(soap.find_path(result, "original")),
            "modified": soap.event_or_child(soap.find_path(result, "modified")),
        }

    async def soap_remove_from_repeat_event(
        self, event_id: str | int, scope: RepeatScope, day: date | None = None
    ) -> list[JSON]:
        """ScheduleRemoveEventsFromRepeatEvent: drop one occurrence, the rest, or all."""
        if scope != "all" and day is None:
            raise ValueError("scope 'this'/'after' needs the occurrence date")
        params = soap.parameters()
        attrs = {"event_id": str(event_id), "type": scope}
        if day is not None:
            attrs["date"] = wire(day)
        ET.SubElement(params, "operation", attrs)
        return soap.events_in(await self.soap_call("ScheduleRemoveEventsFromRepeatEvent", params))

    async def soap_get_events_by_id(self, event_ids: Iterable[str | int]) -> list[JSON]:
        params = soap.parameters()
        for event_id in event_ids:
            ET.SubElement(params, "event_id").text = str(event_id)
        returns = await self.soap_call("ScheduleGetEventsById", params, idempotent=True)
        return soap.events_in(returns)

    async def soap_get_event_versions(
        self,
        known: Mapping[str, str],
        start: datetime,
        end: datetime,
    ) -> list[dict[str, str]]:
        """ScheduleGetEventVersions: given {event id: version} we hold, the entries that were
        added/modified/removed in [start, end) as [{"id", "version", "operation"}]."""
        params = soap.parameters({"start": start, "end": end})
        for event_id, version in known.items():
            ET.SubElement(params, "event_item", {"id": str(event_id), "version": version})
        returns = await self.soap_call("ScheduleGetEventVersions", params, idempotent=True)
        return [dict(e.attrib) for e in soap.find_all(returns, "event_item")]

    async def soap_remove_events(self, event_ids: Iterable[str | int]) -> None:
        params = soap.parameters()
        for event_id in event_ids:
            ET.SubElement(params, "event_id").text = str(event_id)
        await self.soap_call("ScheduleRemoveEvents", params)

    # ---------------------------------------------------------------- plumbing

    def soap_url(self, app: str = "schedule") -> str:
        # Package editions (grn.cgi / grn.exe) have no suffix; cloud-style URLs end in .csp.
        package = self.base_url.endswith((".cgi", ".exe"))
        return f"{self.base_url}/cbpapi/{app}/api{'' if package else '.csp'}"

    async def soap_call(
        self,
        action: str,
        params: ET.Element,
        *,
        app: str = "schedule",
        idempotent: bool = False,
    ) -> ET.Element:
        """POST one SOAP request; return its `returns` element or raise the mapped error."""
        data = soap.envelope(action, params, username=self.login, password=self._password)
        headers = self._front_headers()
        headers["Content-Type"] = soap.CONTENT_TYPE
        answer = await self.send(
            "POST", self.soap_url(app), headers=headers, data=data, idempotent=idempotent
        )
        return soap.parse_answer(answer.body, answer.status)

    async def _object(self, method: str, path: str, *, body: Any = None) -> JSON:
        result = await self.rest(method, path, body=body)
        if not isinstance(result, dict):
            raise ProtocolError(f"{method} {path}: expected a JSON object")
        return result

    async def _paged(
        self, path: str, key: str, params: Mapping[str, str], limit: int
    ) -> list[JSON]:
        items: list[JSON] = []
        offset = 0
        while True:
            page = await self.rest("GET", path, params={**params, "offset": str(offset)})
            if not isinstance(page, dict) or not isinstance(page.get(key), list):
                raise ProtocolError(f"GET {path}: no {key!r} list")
            items.extend(page[key])
            if not page.get("hasNext"):
                return items
            offset += limit
