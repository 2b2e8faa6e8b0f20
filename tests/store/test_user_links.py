"""User links: lookups from either side, case-insensitive mail, one link per user."""

from __future__ import annotations

import pytest

from kakehashi.contracts.state import LinkStatus, UserLink
from kakehashi.store import DuplicateKey, Store
from tests.store.factories import T0


def _link(login: str, address: str, **kw: object) -> UserLink:
    return UserLink.model_validate(
        {"tenant_id": "acme", "garoon_login": login, "m365_address": address, "linked_at": T0} | kw
    )


async def test_lookups_from_either_side(store: Store) -> None:
    link = _link("sato", "Sato@Acme.example", graph_user_id="aad-sato")
    await store.user_links.upsert(link)

    assert await store.user_links.get(link.id) == link
    assert await store.user_links.by_garoon_login("acme", "sato") == link
    assert await store.user_links.by_m365_address("acme", "sato@ACME.example") == link
    assert await store.user_links.by_graph_user_id("acme", "aad-sato") == link
    assert await store.user_links.by_garoon_login("other", "sato") is None


async def test_same_user_cannot_be_linked_twice(store: Store) -> None:
    await store.user_links.upsert(_link("sato", "sato@acme.example"))

    with pytest.raises(DuplicateKey):
        await store.user_links.upsert(_link("sato", "someone@acme.example"))
    with pytest.raises(DuplicateKey):
        await store.user_links.upsert(_link("suzuki", "SATO@acme.example"))
    # Another tenant may have its own "sato".
    await store.user_links.upsert(_link("sato", "sato@acme.example", tenant_id="other"))


async def test_upsert_updates_in_place(store: Store) -> None:
    link = _link("sato", "sato@acme.example")
    await store.user_links.upsert(link)
    await store.user_links.upsert(link.model_copy(update={"m365_address": "s.sato@acme.example"}))

    assert await store.user_links.by_m365_address("acme", "sato@acme.example") is None
    assert (await store.user_links.list("acme"))[0].m365_address == "s.sato@acme.example"


async def test_list_enabled_only(store: Store) -> None:
    await store.user_links.upsert(_link("a", "a@acme.example"))
    await store.user_links.upsert(_link("b", "b@acme.example", enabled=False))
    await store.user_links.upsert(_link("c", "c@acme.example", tenant_id="other"))

    assert [u.garoon_login for u in await store.user_links.list("acme")] == ["a", "b"]
    enabled = await store.user_links.list("acme", enabled_only=True)
    assert [u.garoon_login for u in enabled] == ["a"]


async def test_status_and_last_sync_updates(store: Store) -> None:
    link = _link("sato", "sato@acme.example")
    await store.user_links.upsert(link)

    assert await store.user_links.set_status(link.id, LinkStatus.FAILED, "mailbox not found")
    assert await store.user_links.touch_last_sync(link.id, T0)
    assert not await store.user_links.set_status("missing", LinkStatus.LINKED)

    stored = await store.user_links.get(link.id)
    assert stored is not None
    assert (stored.status, stored.reason, stored.last_sync_at) == (
        LinkStatus.FAILED,
        "mailbox not found",
        T0,
    )
