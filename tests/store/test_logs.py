"""Processed-message dedupe, audit trail and cursors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kakehashi.bus.api import ProcessedLog
from kakehashi.contracts.state import AuditEntry
from kakehashi.store import Store
from tests.store.factories import T0


async def test_processed_messages_dedupe_per_consumer(store: Store) -> None:
    log: ProcessedLog = store.processed
    assert not await log.already_processed("translator.observed", "m-1")

    await log.mark_processed("translator.observed", "m-1")
    await log.mark_processed("translator.observed", "m-1")  # a redelivery marks again

    assert await log.already_processed("translator.observed", "m-1")
    assert not await log.already_processed("translator.results", "m-1")
    assert not await log.already_processed("translator.observed", "m-2")


def _entry(i: int, *, mapping_id: str | None = "map-1", user: str = "link-1") -> AuditEntry:
    return AuditEntry(
        tenant_id="acme",
        mapping_id=mapping_id,
        user_link_id=user,
        action="update",
        rule=f"rule-{i}",
        at=T0 + timedelta(minutes=i),
    )


async def test_audit_for_mapping_is_oldest_first(store: Store) -> None:
    for i in (2, 0, 1):
        await store.audit.append(_entry(i))
    await store.audit.append(_entry(3, mapping_id="map-2"))

    assert [e.rule for e in await store.audit.for_mapping("map-1")] == [
        "rule-0",
        "rule-1",
        "rule-2",
    ]


async def test_audit_for_user_is_newest_first_and_limited(store: Store) -> None:
    for i in range(5):
        await store.audit.append(_entry(i))
    await store.audit.append(_entry(9, user="link-2"))

    recent = await store.audit.for_user("link-1", limit=3)

    assert [e.rule for e in recent] == ["rule-4", "rule-3", "rule-2"]
    assert recent[0] == _entry(4).model_copy(update={"id": recent[0].id})


async def test_delta_links_and_poll_cursors_are_separate_per_user_and_name(store: Store) -> None:
    assert await store.delta_links.get("link-1", "calendarView") is None

    await store.delta_links.set("link-1", "calendarView", "https://graph/delta?token=1")
    await store.delta_links.set("link-1", "calendarView", "https://graph/delta?token=2")
    await store.poll_cursors.set("link-1", "calendarView", "2026-11-20T09:00:00Z")

    assert await store.delta_links.get("link-1", "calendarView") == "https://graph/delta?token=2"
    assert await store.delta_links.get("link-2", "calendarView") is None
    assert await store.poll_cursors.get("link-1", "calendarView") == "2026-11-20T09:00:00Z"
    assert await store.delta_links.delete("link-1", "calendarView")
    assert await store.delta_links.get("link-1", "calendarView") is None


async def test_timestamps_are_kept_to_the_millisecond(store: Store) -> None:
    at = datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=UTC)
    entry = _entry(0).model_copy(update={"at": at})
    await store.audit.append(entry)

    (loaded,) = await store.audit.for_mapping("map-1")

    assert loaded.at == at.replace(microsecond=123000)
