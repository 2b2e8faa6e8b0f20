"""Graph subscriptions for every linked mailbox, created through the Graph API.

The renewal service owns subscriptions; until it creates them itself, the sandbox creates one
per mailbox the same way (POST /subscriptions, validation handshake against the ingress) and
records it in the store so the ingress accepts the notifications.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from kakehashi.contracts.envelope import utcnow
from kakehashi.contracts.state import Subscription, UserLink
from kakehashi.graph_client import GraphClient
from kakehashi.store import Store

LIFETIME = timedelta(days=6)  # under Graph's 7-day maximum for Outlook resources


async def subscribe_all(
    graph: GraphClient,
    store: Store,
    links: list[UserLink],
    webhook_url: str,
    client_state: str,
) -> list[str]:
    created = []
    for link in links:
        resource = f"/users/{link.graph_user_id or link.m365_address}/events"
        body = await graph.create_subscription(
            resource=resource,
            notification_url=webhook_url,
            lifecycle_notification_url=webhook_url,
            expiration=utcnow() + LIFETIME,
            client_state=f"{client_state}-{link.garoon_login}",
        )
        await store.subscriptions.upsert(
            Subscription(
                id=str(body["id"]),
                tenant_id=link.tenant_id,
                user_link_id=link.id,
                resource=resource,
                client_state=SecretStr(f"{client_state}-{link.garoon_login}"),
                expires_at=utcnow() + LIFETIME,
            )
        )
        created.append(str(body["id"]))
    return created
