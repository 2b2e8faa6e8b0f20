"""The parts of a Graph changeNotificationCollection the ingress reads (graph-api.md §2.5/2.6).

Items stay lenient about extra and unknown values (Graph adds fields over time); what an item
means is decided per item after it has been authenticated, so a forged item learns nothing
about which fields we would have accepted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

CHANGE_TYPES = frozenset({"created", "updated", "deleted"})
LIFECYCLE_EVENTS = frozenset({"reauthorizationRequired", "subscriptionRemoved", "missed"})


class ResourceData(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str | None = Field(default=None, max_length=512)
    etag: str | None = Field(default=None, alias="@odata.etag", max_length=512)


class ChangeNotification(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    subscription_id: str = Field(alias="subscriptionId", min_length=1, max_length=128)
    client_state: str | None = Field(default=None, alias="clientState", max_length=512)
    change_type: str | None = Field(default=None, alias="changeType", max_length=64)
    resource_data: ResourceData | None = Field(default=None, alias="resourceData")
    lifecycle_event: str | None = Field(default=None, alias="lifecycleEvent", max_length=64)
    expiration: str | None = Field(
        default=None, alias="subscriptionExpirationDateTime", max_length=64
    )
    notification_id: str | None = Field(default=None, alias="id", max_length=256)


class NotificationCollection(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    # Graph batches at most a few hundred items; the bound keeps one request's work small.
    value: list[ChangeNotification] = Field(min_length=1, max_length=1000)
