"""Calendar operations over Graph v1.0, app-only (`/users/{id or UPN}/...`).

Results are the plain JSON objects Graph returns; translating them is the engine's job. Times
given to this module must be timezone-aware datetimes; they are sent as UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kakehashi.graph_client.batch import run_batch
from kakehashi.graph_client.errors import (
    GraphError,
    ProtocolError,
    TeamsNotEnabled,
    error_from_response,
)
from kakehashi.graph_client.transport import GraphTransport, quote_segment

JSON = dict[str, Any]
_SUBSCRIPTIONS = "subscriptions"  # limiter key for calls that touch no mailbox
_PLACES = "places"


def graph_time(value: datetime) -> str:
    """ISO 8601 in UTC with a Z; naive datetimes are refused (the classic calendar bug)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime; pass a timezone-aware value")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user(user: str) -> str:
    return f"/users/{quote_segment(user)}"


def _event(user: str, event_id: str) -> str:
    return f"{_user(user)}/events/{quote_segment(event_id)}"


def _odata_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def tag_expand(prop_id: str) -> str:
    """`$expand` value that returns just our single-value extended property."""
    return f"singleValueExtendedProperties($filter=id eq {_odata_string(prop_id)})"


def tag_value(event: Mapping[str, Any], prop_id: str) -> str | None:
    """Our tag's value from an event read with `tag_expand` (None when absent)."""
    for prop in event.get("singleValueExtendedProperties") or ():
        if isinstance(prop, Mapping) and str(prop.get("id", "")).lower() == prop_id.lower():
            value = prop.get("value")
            return None if value is None else str(value)
    return None


class GraphClient(GraphTransport):
    """Graph calendar client. See GraphTransport for pacing, retries and errors."""

    # ---------------------------------------------------------------- paging

    async def _pages(
        self, path: str, *, mailbox: str, params: Mapping[str, str] | None = None
    ) -> list[JSON]:
        """Every item of a collection, following @odata.nextLink."""
        items: list[JSON] = []
        url = self.url(path, params)
        while url:
            body = (await self.request("GET", url, mailbox=mailbox)).body
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ProtocolError(f"expected a collection from {url}")
            items.extend(body["value"])
            url = body.get("@odata.nextLink") or ""
        return items

    # ---------------------------------------------------------------- users and events

    async def get_user(self, user: str, *, select: Sequence[str] = ()) -> JSON:
        params = {"$select": ",".join(select)} if select else None
        return await self._json("GET", _user(user), mailbox=user, params=params)

    async def get_calendar(self, user: str) -> JSON:
        """The default calendar (allowedOnlineMeetingProviders, defaultOnlineMeetingProvider)."""
        return await self._json("GET", f"{_user(user)}/calendar", mailbox=user)

    async def get_event(self, user: str, event_id: str, *, expand_tag: str | None = None) -> JSON:
        params = {"$expand": tag_expand(expand_tag)} if expand_tag else None
        return await self._json("GET", _event(user, event_id), mailbox=user, params=params)

    async def list_events(
        self, user: str, *, filter: str | None = None, expand_tag: str | None = None
    ) -> list[JSON]:
        """Series masters and single instances (no expansion of occurrences)."""
        params: dict[str, str] = {}
        if filter:
            params["$filter"] = filter
        if expand_tag:
            params["$expand"] = tag_expand(expand_tag)
        return await self._pages(f"{_user(user)}/events", mailbox=user, params=params)

    async def calendar_view(self, user: str, start: datetime, end: datetime) -> list[JSON]:
        """Singles, occurrences and exceptions overlapping [start, end)."""
        params = {"startDateTime": graph_time(start), "endDateTime": graph_time(end)}
        return await self._pages(f"{_user(user)}/calendarView", mailbox=user, params=params)

    async def instances(
        self, user: str, series_id: str, start: datetime, end: datetime
    ) -> list[JSON]:
        params = {"startDateTime": graph_time(start), "endDateTime": graph_time(end)}
        path = f"{_event(user, series_id)}/instances"
        return await self._pages(path, mailbox=user, params=params)

    async def calendar_view_delta(
        self,
        user: str,
        start: datetime,
        end: datetime,
        delta_link: str | None = None,
        *,
        max_page_size: int | None = None,
    ) -> tuple[list[JSON], str]:
        """One delta round: (items incl. `@removed` entries, the new deltaLink to store).

        Without `delta_link` this is the full snapshot of the window. The link carries the
        original parameters, so it is followed verbatim. Raises DeltaExpired when the server
        no longer knows the token; the caller then starts over without a link.
        """
        if delta_link:
            url = delta_link
        else:
            params = {"startDateTime": graph_time(start), "endDateTime": graph_time(end)}
            url = self.url(f"{_user(user)}/calendarView/delta", params)
        prefer = (f"odata.maxpagesize={max_page_size}",) if max_page_size else ()
        items: list[JSON] = []
        while True:
            resp = await self.request("GET", url, mailbox=user, delta=True, extra_prefer=prefer)
            body = resp.body
            if not isinstance(body, dict) or not isinstance(body.get("value"), list):
                raise ProtocolError("delta page without value")
            items.extend(body["value"])
            if body.get("@odata.nextLink"):
                url = body["@odata.nextLink"]
                continue
            if body.get("@odata.deltaLink"):
                return items, str(body["@odata.deltaLink"])
            raise ProtocolError("delta page with neither nextLink nor deltaLink")

    async def create_event(
        self,
        user: str,
        body: Mapping[str, Any],
        transaction_id: str,
        tag: tuple[str, str] | None = None,
    ) -> JSON:
        """POST an event with a client-chosen transactionId (and our ownership tag).

        The transactionId makes a repeated POST harmless, which is why this POST is retried on
        5xx/lost connections. The created event does not echo the extended property.
        """
        payload = dict(body)
        payload["transactionId"] = transaction_id
        if tag is not None:
            props = [p for p in payload.get("singleValueExtendedProperties", ()) if p]
            props.append({"id": tag[0], "value": tag[1]})
            payload["singleValueExtendedProperties"] = props
        return await self._json(
            "POST", f"{_user(user)}/events", mailbox=user, json_body=payload, idempotent=True
        )

    async def update_event(
        self, user: str, event_id: str, patch: Mapping[str, Any], *, if_match: str | None = None
    ) -> JSON:
        headers = {"If-Match": if_match} if if_match else None
        return await self._json(
            "PATCH", _event(user, event_id), mailbox=user, json_body=dict(patch), headers=headers
        )

    async def delete_event(self, user: str, event_id: str, *, if_match: str | None = None) -> None:
        headers = {"If-Match": if_match} if if_match else None
        await self.request("DELETE", _event(user, event_id), mailbox=user, headers=headers)

    async def delete_events(self, user: str, event_ids: Sequence[str]) -> list[GraphError | None]:
        """Delete several events of one mailbox, 20 to a `$batch` call (one request for one
        event); per event None when deleted, else the error Graph answered for it."""
        if len(event_ids) == 1:
            try:
                await self.delete_event(user, event_ids[0])
            except GraphError as exc:
                return [exc]
            return [None]
        answers = await self.batch(
            [{"method": "DELETE", "url": _event(user, event_id)} for event_id in event_ids]
        )
        return [
            None
            if 200 <= int(a.get("status", 0)) < 300
            else error_from_response(int(a.get("status", 0)), a.get("body"), a.get("headers") or {})
            for a in answers
        ]

    async def cancel_event(self, user: str, event_id: str, comment: str = "") -> None:
        """Organizer only: cancel and notify attendees."""
        await self.request(
            "POST",
            f"{_event(user, event_id)}/cancel",
            mailbox=user,
            json_body={"comment": comment},
        )

    async def find_by_tag(self, user: str, prop_id: str, value: str) -> list[JSON]:
        """Events carrying our extended property with this value (masters and singles)."""
        flt = (
            "singleValueExtendedProperties/Any(ep: ep/id eq "
            f"{_odata_string(prop_id)} and ep/value eq {_odata_string(value)})"
        )
        return await self.list_events(user, filter=flt, expand_tag=prop_id)

    async def find_by_ical_uid(self, user: str, ical_uid: str) -> list[JSON]:
        """This mailbox's copies of a meeting (masters and singles share the iCalUId)."""
        return await self.list_events(user, filter=f"iCalUId eq {_odata_string(ical_uid)}")

    async def _respond(self, action: str, user: str, event_id: str, body: JSON) -> None:
        # Responding twice only re-sends the same answer, so a retry on 5xx is acceptable.
        path = f"{_event(user, event_id)}/{action}"
        await self.request("POST", path, mailbox=user, json_body=body, idempotent=True)

    async def accept_event(
        self, user: str, event_id: str, *, comment: str = "", send_response: bool = True
    ) -> None:
        await self._respond(
            "accept", user, event_id, {"comment": comment, "sendResponse": send_response}
        )

    async def tentatively_accept_event(
        self, user: str, event_id: str, *, comment: str = "", send_response: bool = True
    ) -> None:
        await self._respond(
            "tentativelyAccept", user, event_id, {"comment": comment, "sendResponse": send_response}
        )

    async def decline_event(
        self, user: str, event_id: str, *, comment: str = "", send_response: bool = True
    ) -> None:
        await self._respond(
            "decline", user, event_id, {"comment": comment, "sendResponse": send_response}
        )

    async def enable_teams_meeting(self, user: str, event_id: str) -> str:
        """Turn the event into a Teams meeting and return its join URL.

        Graph may answer 200 yet leave `isOnlineMeeting: false` / provider `unknown` when the
        mailbox cannot use Teams; that is reported as TeamsNotEnabled instead of a silent no-op.
        """
        patch = {"isOnlineMeeting": True, "onlineMeetingProvider": "teamsForBusiness"}
        event = await self.update_event(user, event_id, patch)
        join_url = _join_url(event)
        if join_url is None and event.get("isOnlineMeeting") is True:
            join_url = _join_url(await self.get_event(user, event_id))  # filled in a moment later
        if (
            join_url is None
            or event.get("isOnlineMeeting") is not True
            or event.get("onlineMeetingProvider") != "teamsForBusiness"
        ):
            raise TeamsNotEnabled(
                f"event {event_id} did not become a Teams meeting "
                f"(isOnlineMeeting={event.get('isOnlineMeeting')!r}, "
                f"provider={event.get('onlineMeetingProvider')!r})",
                code="teamsNotEnabled",
            )
        return join_url

    # ---------------------------------------------------------------- free/busy and rooms

    async def get_schedule(
        self,
        user: str,
        schedules: Sequence[str],
        start: datetime,
        end: datetime,
        *,
        interval_minutes: int = 30,
    ) -> list[JSON]:
        body = {
            "schedules": list(schedules),
            "startTime": {"dateTime": graph_time(start)[:-1], "timeZone": "UTC"},
            "endTime": {"dateTime": graph_time(end)[:-1], "timeZone": "UTC"},
            "availabilityViewInterval": interval_minutes,
        }
        result = await self._json(
            "POST",
            f"{_user(user)}/calendar/getSchedule",
            mailbox=user,
            json_body=body,
            idempotent=True,  # a read, despite the POST
        )
        value = result.get("value")
        return list(value) if isinstance(value, list) else []

    async def list_rooms(self) -> list[JSON]:
        return await self._pages("/places/microsoft.graph.room", mailbox=_PLACES)

    # ---------------------------------------------------------------- $batch

    async def batch(self, requests: Sequence[Mapping[str, Any]]) -> list[JSON]:
        """Run requests through `$batch` (chunks of 20); returns one response per request,
        in request order. Inner 429s are retried after the longest inner Retry-After."""
        return await run_batch(self, requests)

    # ---------------------------------------------------------------- subscriptions

    async def create_subscription(
        self,
        *,
        resource: str,
        notification_url: str,
        expiration: datetime,
        client_state: str,
        lifecycle_notification_url: str | None = None,
        change_type: str = "created,updated,deleted",
    ) -> JSON:
        body: JSON = {
            "changeType": change_type,
            "notificationUrl": notification_url,
            "resource": resource,
            "expirationDateTime": graph_time(expiration),
            "clientState": client_state,
        }
        if lifecycle_notification_url:
            body["lifecycleNotificationUrl"] = lifecycle_notification_url
        # Not idempotent: a blind retry could hit 409 for our own first attempt.
        return await self._json("POST", "/subscriptions", mailbox=_SUBSCRIPTIONS, json_body=body)

    async def renew_subscription(self, subscription_id: str, expiration: datetime) -> JSON:
        return await self._json(
            "PATCH",
            f"/subscriptions/{quote_segment(subscription_id)}",
            mailbox=_SUBSCRIPTIONS,
            json_body={"expirationDateTime": graph_time(expiration)},
        )

    async def reauthorize_subscription(self, subscription_id: str) -> None:
        await self.request(
            "POST",
            f"/subscriptions/{quote_segment(subscription_id)}/reauthorize",
            mailbox=_SUBSCRIPTIONS,
            idempotent=True,
        )

    async def delete_subscription(self, subscription_id: str) -> None:
        await self.request(
            "DELETE", f"/subscriptions/{quote_segment(subscription_id)}", mailbox=_SUBSCRIPTIONS
        )

    async def list_subscriptions(self) -> list[JSON]:
        return await self._pages("/subscriptions", mailbox=_SUBSCRIPTIONS)

    # ---------------------------------------------------------------- helpers

    async def _json(self, method: str, path: str, **kw: Any) -> JSON:
        body = (await self.request(method, path, **kw)).body
        if not isinstance(body, dict):
            raise ProtocolError(f"{method} {path}: expected a JSON object")
        return body


def _join_url(event: Mapping[str, Any]) -> str | None:
    meeting = event.get("onlineMeeting")
    if isinstance(meeting, Mapping) and meeting.get("joinUrl"):
        return str(meeting["joinUrl"])
    return None
