"""Subscriptions: per-user lookup and the renewal service's expiring list."""

from __future__ import annotations

from datetime import timedelta

from pydantic import SecretStr

from kakehashi.contracts.state import Subscription
from kakehashi.store import Store
from tests.store.factories import T0


def _sub(sub_id: str, hours: int, user: str = "link-1") -> Subscription:
    return Subscription(
        id=sub_id,
        tenant_id="acme",
        user_link_id=user,
        resource=f"/users/{user}/events",
        client_state=SecretStr(f"state-{sub_id}"),
        expires_at=T0 + timedelta(hours=hours),
        created_at=T0,
    )


async def test_list_expiring_is_soonest_first_and_excludes_later(store: Store) -> None:
    for sub in (_sub("late", 48), _sub("soon", 1), _sub("sooner", 0, user="link-2")):
        await store.subscriptions.upsert(sub)

    expiring = await store.subscriptions.list_expiring(T0 + timedelta(hours=24))

    assert [s.id for s in expiring] == ["sooner", "soon"]


async def test_renewal_upsert_by_user_and_delete(store: Store) -> None:
    await store.subscriptions.upsert(_sub("s1", 1))
    renewed = _sub("s1", 72)
    await store.subscriptions.upsert(renewed)

    assert await store.subscriptions.by_user_link("link-1") == [renewed]
    assert await store.subscriptions.delete("s1")
    assert await store.subscriptions.get("s1") is None
    assert not await store.subscriptions.delete("s1")
