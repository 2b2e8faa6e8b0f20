"""TEAMS_MEETING: make the mapped Outlook event a Teams meeting and invite the outside guests.

Through the calendar (graph-api.md §6.1): PATCH isOnlineMeeting + teamsForBusiness, read the
join URL back. Each step checks first, so a retried command neither mints a second meeting nor
invites anyone twice. Inviting the guests mails them on purpose: that is what the button is for.
"""

from __future__ import annotations

from typing import Any

from kakehashi.contracts.messages import CommandOutcome, SyncCommand
from kakehashi.graph_client import NotFound, TeamsNotEnabled
from kakehashi.graph_connector import bodies
from kakehashi.graph_connector.mailbox import TAG_ID, Mailbox, event_missing
from kakehashi.graph_connector.write import InvalidCommand, Outcome, create, read_back

JSON = dict[str, Any]


def join_url_of(raw: JSON) -> str | None:
    meeting = raw.get("onlineMeeting")
    if isinstance(meeting, dict) and meeting.get("joinUrl"):
        return str(meeting["joinUrl"])
    return None


async def teams_meeting(mb: Mailbox, cmd: SyncCommand) -> Outcome:
    raw: JSON | None = None
    if cmd.target_id:
        try:
            raw = await mb.client.get_event(mb.user, cmd.target_id, expand_tag=TAG_ID)
        except NotFound as exc:
            if not event_missing(exc):
                raise
            raw = None
    if raw is None:
        # No Outlook event yet: create it (idempotently, without attendees mail) first.
        if cmd.event is None:
            raise InvalidCommand("teams meeting for a missing event, and no event to create")
        made = await create(mb, cmd.model_copy(update={"notify_attendees": False}))
        if made.target_id is None:
            raise InvalidCommand("create before the Teams meeting gave no event")
        raw = await mb.client.get_event(mb.user, made.target_id, expand_tag=TAG_ID)
    target = str(raw["id"])
    join_url = join_url_of(raw)
    if join_url is None:
        try:
            join_url = await mb.client.enable_teams_meeting(mb.user, target)
        except TeamsNotEnabled as exc:
            # The mailbox may not use Teams (licence, policy): retrying will not change that.
            seen = await read_back(mb, target)
            return Outcome(CommandOutcome.FAILED, target, seen, error=str(exc))
    await _invite(mb, target, cmd.invitees)
    return Outcome(CommandOutcome.OK, target, await read_back(mb, target), join_url=join_url)


async def _invite(mb: Mailbox, target: str, invitees: list[str]) -> None:
    if not invitees:
        return
    current = await mb.client.get_event(mb.user, target)
    attendees = bodies.attendees_of(current, "people") + bodies.attendees_of(current, "resource")
    known = {str(a["emailAddress"]["address"]).lower() for a in attendees}
    wanted = dict.fromkeys(x.strip() for x in invitees)
    missing = [i for i in wanted if i and i.lower() not in known]
    if not missing:
        return
    added = [{"type": "required", "emailAddress": {"name": i, "address": i}} for i in missing]
    # A PATCH holding only `attendees` mails only the changed attendees (graph-api.md §1.6).
    await mb.client.update_event(mb.user, target, {"attendees": attendees + added})
