"""Both sides edit the same event at once: a field-by-field merge, recorded in the audit trail,
converged on both sides and for every attendee."""

from __future__ import annotations

import pytest

from tests.e2e.events import (
    SATO,
    SATO_MAIL,
    SUZUKI,
    SUZUKI_MAIL,
    garoon_event,
)
from tests.e2e.harness import Harness
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e


async def test_conflicting_edits_merge_field_by_field_with_an_audit_entry(harness: Harness) -> None:
    created = await harness.garoon_person(SATO, "create", garoon_event("conflict", SATO, SUZUKI))
    [copy] = await harness.wait_outlook(SATO_MAIL, "conflict")
    await harness.wait_converged()
    # Hold both sides' signals so the two edits meet in the translator.
    await harness.garoon_control("PATCH", "/settings", {"hint_delay_seconds": 1.0})
    await harness.graph_control("PATCH", "/switches", {"notification_delay_ms": 1000})
    await harness.garoon_person(
        SATO,
        "edit",
        {"eventId": created["id"], "changes": {"notes": "from Garoon"}, "range": "ALL"},
    )
    await harness.outlook_update(
        SATO_MAIL, copy["id"], {"location": {"displayName": "from Outlook"}}
    )

    async def merged() -> bool:
        [g] = [e for e in await harness.garoon_events(SATO) if e["subject"] == "conflict"]
        [o] = [e for e in await harness.outlook_events(SATO_MAIL) if e["subject"] == "conflict"]
        return (
            "from Garoon" in g.get("notes", "")
            and (g.get("companyInfo") or {}).get("address") == "from Outlook"
            and "from Garoon" in o["body"]["content"]
            and o["location"]["displayName"] == "from Outlook"
        )

    await wait_until(merged, timeout=20, message="both edits on both sides")
    await harness.wait_converged()
    admin = harness.m.services["admin"].url
    headers = {"Authorization": f"Bearer {harness.m.admin_token}"}
    url = f"{admin}/api/v1/tenants/{harness.m.tenant.id}/audit/{created['id']}"
    async with harness.http.get(url, headers=headers) as resp:
        assert resp.status == 200
        audit = await resp.json()
    assert "merge" in str(audit).lower()
    assert await harness.wait_garoon(SUZUKI, "conflict")
    assert await harness.wait_outlook(SUZUKI_MAIL, "conflict")
    await harness.wait_converged()
