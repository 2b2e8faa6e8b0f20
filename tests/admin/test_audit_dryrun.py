"""The audit trail of one event, and the dry run of one user's sync."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from kakehashi.contracts.event import NormalizedEvent
from kakehashi.contracts.state import AuditEntry, Mapping, MappingState, SideRecord
from tests.admin.conftest import Env

T = "/api/v1/tenants/acme"


async def _linked(env: Env) -> str:
    await env.configured()
    user = await env.ok("PUT", T + "/users/sato", {"m365_address": "sato@contoso.example"})
    assert user["status"] == "linked"
    return str(user["id"])


async def _mapping(env: Env, link_id: str) -> Mapping:
    start = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    mapping = Mapping(
        tenant_id="acme",
        user_link_id=link_id,
        garoon_id="4711",
        graph_ical_uid="040000008200E00074C5B7101A82E008",
        garoon=SideRecord(id="4711"),
        graph=SideRecord(id="AAMkAGI-graph-id"),
        base=NormalizedEvent(title="定例会議", start=start, end=start + timedelta(hours=1)),
        state=MappingState.ACTIVE,
        last_rule="merge:fields",
    )
    await env.store.mappings.insert(mapping)
    for n, (side, action, rule, detail) in enumerate(
        [
            ("garoon", "create", "new-on-garoon", "created in Garoon by sato"),
            ("graph", "update", "merge:fields", "location changed in Outlook"),
        ]
    ):
        await env.store.audit.append(
            AuditEntry(
                tenant_id="acme",
                mapping_id=mapping.id,
                user_link_id=link_id,
                side=side,
                action=action,
                rule=rule,
                detail=detail,
                at=start + timedelta(minutes=n),
            )
        )
    return mapping


async def test_audit_by_garoon_id_ical_uid_or_mapping_id(env: Env) -> None:
    mapping = await _mapping(env, await _linked(env))
    for ref, matched in (
        ("4711", "Garoon event id"),
        ("040000008200E00074C5B7101A82E008", "Graph iCalUId"),
        (mapping.id, "mapping id"),
    ):
        trail = await env.ok("GET", f"{T}/audit/{ref}")
        assert trail["mapping"]["id"] == mapping.id
        assert trail["mapping"]["matched_by"] == matched
        assert trail["mapping"]["user"] == "sato"
        assert [e["rule"] for e in trail["entries"]] == ["new-on-garoon", "merge:fields"]
        assert trail["entries"][1]["side"] == "graph"
        assert trail["entries"][1]["detail"] == "location changed in Outlook"
    status, body = await env.call("GET", f"{T}/audit/9999")
    assert status == 404
    assert body["error"]["code"] == "event_not_found"


async def test_dry_run_explains_what_a_sync_would_do(env: Env) -> None:
    await _linked(env)
    # Linked a minute ago: Garoon stamps whole seconds, and only later edits are in scope.
    link = await env.store.user_links.by_garoon_login("acme", "sato")
    assert link is not None
    earlier = link.linked_at - timedelta(minutes=1)
    await env.store.user_links.upsert(link.model_copy(update={"linked_at": earlier}))
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    env.garoon.sim.person_create(
        "sato",
        {
            "subject": "顧客訪問",
            "start": {"dateTime": start.isoformat(), "timeZone": "Asia/Tokyo"},
            "end": {"dateTime": (start + timedelta(hours=1)).isoformat(), "timeZone": "Asia/Tokyo"},
        },
    )
    before = await env.store.mappings.list_for_user(await _link_id(env))
    result = await env.ok("POST", T + "/users/sato/dry-run")
    assert result["source"] == "engine.explain", result
    titles = {a["title"]: a for a in result["actions"]}
    assert "顧客訪問" in titles, result
    assert titles["顧客訪問"]["source"] == "garoon"
    assert titles["顧客訪問"]["target"] == "graph"
    assert titles["顧客訪問"]["action"] == "create"
    # Nothing was done: no mapping, no Outlook event.
    assert await env.store.mappings.list_for_user(await _link_id(env)) == before
    assert env.graph.sim.mailbox_events("sato@contoso.example") == []


async def test_dry_run_without_credentials_reports_stored_mappings(env: Env) -> None:
    link_id = await _linked(env)
    mapping = await _mapping(env, link_id)
    tenant = await env.store.tenants.get("acme")
    assert tenant is not None
    await env.store.tenants.put(tenant.model_copy(update={"graph": None}))
    result = await env.ok("POST", T + "/users/sato/dry-run")
    assert result["source"] == "mappings"
    assert "credentials are not set" in result["note"]
    assert [m["id"] for m in result["mappings"]] == [mapping.id]
    assert result["mappings"][0]["title"] == "定例会議"
    status, _ = await env.call("POST", T + "/users/nobody/dry-run")
    assert status == 404


async def _link_id(env: Env) -> str:
    link = await env.store.user_links.by_garoon_login("acme", "sato")
    assert link is not None
    return link.id
