"""The browser hint body the Garoon customization posts (docs/architecture.md, wire format)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    field_validator,
)

TEAMS_EVENT = "kakehashi.teams.create"

# Garoon JS event type -> GaroonHint.action
ACTIONS: dict[str, Literal["create", "edit", "delete", "attend", "leave", "teams_meeting"]] = {
    "schedule.event.create.submit.success": "create",
    "schedule.event.quick.create.submit.success": "create",
    "schedule.event.arrange.create.submit.success": "create",
    "schedule.event.temporary.finalize.submit.success": "create",
    "schedule.event.edit.submit.success": "edit",
    "schedule.event.quick.edit.submit.success": "edit",
    "schedule.event.delete.submit.success": "delete",
    "schedule.event.attend.submit.success": "attend",
    "schedule.event.leave.submit.success": "leave",
    TEAMS_EVENT: "teams_meeting",
}
# What Garoon reports for a non-repeating event when the payload carries no range.
RANGE_DEFAULTS: dict[str, Literal["THIS_ONLY", "ALL"]] = {
    "schedule.event.delete.submit.success": "ALL",
    "schedule.event.attend.submit.success": "THIS_ONLY",
    "schedule.event.leave.submit.success": "THIS_ONLY",
}

EventType = Literal[
    "schedule.event.create.submit.success",
    "schedule.event.quick.create.submit.success",
    "schedule.event.arrange.create.submit.success",
    "schedule.event.temporary.finalize.submit.success",
    "schedule.event.edit.submit.success",
    "schedule.event.quick.edit.submit.success",
    "schedule.event.delete.submit.success",
    "schedule.event.attend.submit.success",
    "schedule.event.leave.submit.success",
    "kakehashi.teams.create",
]

# The same pragmatic check as the customization: local@domain.tld, no display names.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value) or ".." in value or value.startswith("."):
        raise ValueError("not an e-mail address")
    return value


Email = Annotated[StrictStr, AfterValidator(_email)]


class Actor(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: StrictStr = Field(pattern=r"^[0-9]{1,20}$")
    code: StrictStr = Field(min_length=1, max_length=255)


class GaroonHintBody(BaseModel):
    # Unknown fields are ignored, so a newer customization file keeps working with this ingress.
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    source: Literal["garoon-js"]
    event_type: EventType = Field(alias="eventType")
    event_id: StrictStr = Field(alias="eventId", pattern=r"^[0-9]{1,20}$")
    actor: Actor
    range: Literal["THIS_ONLY", "ON_AND_AFTER", "ALL"] | None = None
    invitees: list[Email] = Field(default_factory=list, max_length=50)

    @field_validator("invitees")
    @classmethod
    def _invitees_only_for_teams(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # Declared after eventType, so a valid eventType is already in info.data.
        if value and info.data.get("event_type", TEAMS_EVENT) != TEAMS_EVENT:
            raise ValueError(f"invitees are only allowed with eventType {TEAMS_EVENT}")
        return value

    @property
    def action(self) -> Literal["create", "edit", "delete", "attend", "leave", "teams_meeting"]:
        return ACTIONS[self.event_type]

    @property
    def effective_range(self) -> Literal["THIS_ONLY", "ON_AND_AFTER", "ALL"] | None:
        """The range of delete/attend/leave (Garoon's default when absent); None otherwise."""
        default = RANGE_DEFAULTS.get(self.event_type)
        if default is None:
            return None
        return self.range or default
