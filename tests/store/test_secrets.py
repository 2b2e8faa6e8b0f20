"""Secrets are ciphertext at rest, plaintext through the repository, and a wrong key is loud."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from kakehashi.contracts.state import Subscription
from kakehashi.store import (
    DecryptionError,
    EncryptionKeyError,
    Store,
    generate_key,
    load_key,
)
from tests.store.conftest import Backend
from tests.store.factories import GAROON_PASSWORD, GRAPH_SECRET, HINT_SECRET, T0, tenant


async def _raw(store: Store, collection: str, doc_id: str) -> dict[str, object]:
    doc = await store.db.collection(collection).find_one({"_id": doc_id})
    assert doc is not None
    return doc


async def test_tenant_secrets_are_not_stored_in_plaintext(store: Store) -> None:
    await store.tenants.put(tenant())

    raw = repr(await _raw(store, "tenants", "acme"))
    for secret in (GRAPH_SECRET, GAROON_PASSWORD, HINT_SECRET):
        assert secret not in raw
        assert base64.b64encode(secret.encode()).decode() not in raw
    # Non-secret fields stay readable for operators and queries.
    assert "app-id" in raw


async def test_secrets_round_trip_through_the_repository(store: Store) -> None:
    await store.tenants.put(tenant())

    loaded = await store.tenants.get("acme")

    assert loaded == tenant()
    assert loaded is not None
    assert loaded.graph is not None
    assert loaded.garoon is not None
    assert loaded.graph.client_secret is not None
    assert loaded.graph.client_secret.get_secret_value() == GRAPH_SECRET
    assert loaded.garoon.password.get_secret_value() == GAROON_PASSWORD


async def test_subscription_client_state_is_encrypted(store: Store) -> None:
    sub = Subscription(
        id="sub-1",
        tenant_id="acme",
        user_link_id="link-1",
        resource="/users/u1/events",
        client_state=SecretStr("client-state-91ab"),
        expires_at=datetime(2026, 11, 23, tzinfo=UTC),
        created_at=T0,
    )
    await store.subscriptions.upsert(sub)

    assert "client-state-91ab" not in repr(await _raw(store, "subscriptions", "sub-1"))
    assert await store.subscriptions.get("sub-1") == sub


async def test_wrong_key_fails_clearly(store: Store, backend: Backend) -> None:
    await store.tenants.put(tenant())
    other = await backend.open(key=load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()}))
    try:
        with pytest.raises(DecryptionError, match="loaded key"):
            await other.tenants.get("acme")
    finally:
        await other.close()


async def test_secret_blob_moved_to_another_field_is_refused(store: Store) -> None:
    await store.tenants.put(tenant())
    coll = store.db.collection("tenants")
    raw = await _raw(store, "tenants", "acme")
    # An attacker with database access copies the hint secret blob over the Garoon password.
    await coll.update_one({"_id": "acme"}, {"$set": {"garoon.password": raw["hint_secret"]}})

    with pytest.raises(DecryptionError, match=r"tenants:garoon\.password"):
        await store.tenants.get("acme")


def test_load_key_from_env_and_file(tmp_path: Path) -> None:
    key = generate_key()
    assert len(load_key({"KAKEHASHI_ENCRYPTION_KEY": key})) == 32
    key_file = tmp_path / "key"
    key_file.write_text(key + "\n")
    assert load_key({"KAKEHASHI_ENCRYPTION_KEY_FILE": str(key_file)}) == base64.b64decode(key)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "no encryption key"),
        ({"KAKEHASHI_ENCRYPTION_KEY": "not base64!"}, "not valid base64"),
        ({"KAKEHASHI_ENCRYPTION_KEY": base64.b64encode(b"short").decode()}, "32 bytes, got 5"),
        ({"KAKEHASHI_ENCRYPTION_KEY_FILE": "/nonexistent/key"}, "cannot read"),
    ],
)
def test_load_key_rejects_missing_or_malformed_keys(env: dict[str, str], message: str) -> None:
    with pytest.raises(EncryptionKeyError, match=message):
        load_key(env)


def test_malformed_key_is_never_echoed() -> None:
    bad = "c2VjcmV0LWJ1dC10b28tc2hvcnQ="
    with pytest.raises(EncryptionKeyError) as info:
        load_key({"KAKEHASHI_ENCRYPTION_KEY": bad})
    assert bad not in str(info.value)


async def test_restart_with_another_key_is_refused_at_start_up(
    store: Store, backend: Backend
) -> None:
    await store.check_key()
    await store.check_key()  # same key, next start: fine

    other = await backend.open(key=load_key({"KAKEHASHI_ENCRYPTION_KEY": generate_key()}))
    try:
        with pytest.raises(DecryptionError, match="KAKEHASHI_ENCRYPTION_KEY"):
            await other.check_key()
    finally:
        await other.close()
