"""Users: enable (links), disable, list with status; CSV import with broken rows and dry run."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.admin.conftest import Env

USERS = "/api/v1/tenants/acme/users"


async def test_enabling_a_user_links_both_sides(env: Env) -> None:
    await env.configured()
    user = await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    graph_user = env.graph.sim.find_user(env.entra_tenant, "sato@contoso.example")
    assert graph_user is not None
    assert user["status"] == "linked", user
    assert user["graph_user_id"] == graph_user.id
    assert user["garoon_user_id"] == str(env.garoon.sim.resolve_user("sato").id)
    # The address may be the mailbox's mail rather than its user principal name.
    user = await env.ok("PUT", USERS + "/suzuki", {"m365_address": "h.suzuki@contoso.example"})
    assert user["status"] == "linked", user


async def test_failed_links_say_why(env: Env) -> None:
    await env.configured()
    user = await env.ok("PUT", USERS + "/sato", {"m365_address": "nobody@contoso.example"})
    assert user["status"] == "failed"
    assert "address nobody@contoso.example not found in Microsoft 365" in user["reason"]
    env.graph.sim.add_user(env.entra_tenant, "ghost@contoso.example")
    user = await env.ok("PUT", USERS + "/ghost", {"m365_address": "ghost@contoso.example"})
    assert user["status"] == "failed"
    assert "Garoon user 'ghost' not found" in user["reason"]
    assert "見つかりません" in user["reason"]
    # Fixed on the Garoon side: looking it up again links it.
    env.garoon.sim.add_user("ghost")
    user = await env.ok("POST", USERS + "/ghost/link")
    assert user["status"] == "linked"


async def test_permission_missing_is_a_failure_reason(env: Env) -> None:
    app = env.graph.sim.add_app(env.entra_tenant, secret="s", roles=["Calendars.ReadWrite"])
    await env.configured()
    await env.ok(
        "PUT",
        "/api/v1/tenants/acme/graph",
        env.graph_credentials(client_id=app.client_id, client_secret="s"),
    )
    user = await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    assert user["status"] == "failed"
    assert "User.Read.All" in user["reason"]


async def test_pending_until_credentials_exist(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    user = await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    assert user["status"] == "pending"
    assert "waiting for Microsoft 365 credentials" in user["reason"]
    await env.ok("PUT", "/api/v1/tenants/acme/graph", env.graph_credentials())
    await env.ok("PUT", "/api/v1/tenants/acme/garoon", env.garoon_credentials())
    user = await env.ok("POST", USERS + "/sato/link")
    assert user["status"] == "linked"


async def test_disable_list_and_last_sync(env: Env) -> None:
    await env.configured()
    linked = await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    await env.ok("PUT", USERS + "/suzuki", {"m365_address": "h.suzuki@contoso.example"})
    synced = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    await env.store.user_links.touch_last_sync(linked["id"], synced)
    disabled = await env.ok("PUT", USERS + "/suzuki", {"enabled": False})
    assert disabled["enabled"] is False
    listed = {u["garoon_login"]: u for u in (await env.ok("GET", USERS))["users"]}
    assert listed["sato"]["last_sync_at"].startswith("2026-11-20T09:30")
    assert listed["sato"]["status"] == "linked"
    assert listed["sato"]["enabled"]
    assert listed["suzuki"]["enabled"] is False
    assert listed["suzuki"]["last_sync_at"] is None


async def test_user_requests_are_validated(env: Env) -> None:
    await env.configured()
    status, body = await env.call("PUT", USERS + "/sato", {"enabled": True})
    assert status == 400
    assert "m365_address" in body["error"]["message"]
    status, body = await env.call("PUT", USERS + "/sato", {"m365_address": "not-mail"})
    assert status == 400
    await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    status, body = await env.call("PUT", USERS + "/other", {"m365_address": "SATO@contoso.example"})
    assert status == 409
    status, _ = await env.call("GET", USERS + "/nobody")
    assert status == 404


BROKEN = (
    "garoon_login,m365_address,enabled\n"  # 1: header
    "sato,sato@contoso.example,true\n"  # 2: ok
    "suzuki,h.suzuki@contoso.example,yes\n"  # 3: ok (mail, not UPN)
    ",x@contoso.example,true\n"  # 4: missing login
    "tanaka,not-an-email,true\n"  # 5: bad e-mail
    "sato,other@contoso.example,true\n"  # 6: duplicate login
    "kimura,SATO@contoso.example,true\n"  # 7: duplicate address
    "yamada,yamada@contoso.example,maybe\n"  # 8: bad enabled value
    "onlyone\n"  # 9: wrong column count
    "ghost,ghost@contoso.example,true\n"  # 10: unknown Garoon user
    "takahashi,takahashi@contoso.example,true\n"  # 11: address not in Microsoft 365
    "kakehashi-svc,svc@contoso.example,false\n"  # 12: disabled: accepted, not looked up
)


async def test_csv_with_broken_rows_dry_run_then_apply(env: Env) -> None:
    await env.configured()
    env.graph.sim.add_user(env.entra_tenant, "ghost@contoso.example")
    env.garoon.sim.add_user("takahashi")
    data = BROKEN.encode()

    status, dry = await env.call("POST", USERS + "/import?dry_run=true", data=data)
    assert status == 200, dry
    assert dry["dry_run"] is True
    assert dry["applied"] == 0
    assert dry["checked_remotely"]
    rejected = {r["line"]: r["reason"] for r in dry["rejected"]}
    assert sorted(rejected) == [4, 5, 6, 7, 8, 9, 10, 11]
    assert "Garoon login is missing" in rejected[4]
    assert "not a valid e-mail address" in rejected[5]
    assert "already appears on line 2" in rejected[6]
    assert "already appears on line 2" in rejected[7]
    assert "enabled must be true or false" in rejected[8]
    assert "expected 3 columns" in rejected[9]
    assert "Garoon user 'ghost' not found" in rejected[10]
    assert "not found in Microsoft 365" in rejected[11]
    assert all(" / " in r for r in rejected.values())  # English / 日本語
    assert sorted(u["garoon_login"] for u in dry["accepted"]) == ["kakehashi-svc", "sato", "suzuki"]
    assert await env.store.user_links.list("acme") == []  # a dry run writes nothing

    status, applied = await env.call("POST", USERS + "/import", data=data)
    assert status == 200
    assert applied["applied"] == 3
    assert [r["line"] for r in applied["rejected"]] == [4, 5, 6, 7, 8, 9, 10, 11]
    links = {lk.garoon_login: lk for lk in await env.store.user_links.list("acme")}
    assert set(links) == {"kakehashi-svc", "sato", "suzuki"}
    assert links["sato"].status == "linked"
    assert links["sato"].graph_user_id
    assert links["suzuki"].status == "linked"
    assert links["kakehashi-svc"].enabled is False


async def test_csv_from_excel_in_shift_jis_and_utf8_bom(env: Env) -> None:
    await env.configured()
    sjis = "ログイン名,メールアドレス,有効\r\nsato,sato@contoso.example,有効\r\n".encode("cp932")
    status, body = await env.call("POST", USERS + "/import", data=sjis)
    assert status == 200, body
    assert body["encoding"] == "shift_jis"
    assert body["rejected"] == []
    assert body["applied"] == 1
    bom = "\ufeffsuzuki,h.suzuki@contoso.example,無効\n".encode()
    status, body = await env.call("POST", USERS + "/import", data=bom)
    assert body["encoding"] == "utf-8-sig"
    assert body["applied"] == 1
    assert body["accepted"][0]["enabled"] is False
    for broken in (b"\xff\xfes\x00a\x00", b"sato,\x81\x20@contoso.example\n"):
        status, body = await env.call("POST", USERS + "/import", data=broken)
        assert status == 400
        assert body["error"]["code"] == "bad_csv"


async def test_csv_without_credentials_leaves_users_pending(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    status, body = await env.call(
        "POST", USERS + "/import", data=b"nobody,nobody@contoso.example\n"
    )
    assert status == 200
    assert body["checked_remotely"] is False
    assert body["accepted"][0]["status"] == "pending"


async def test_csv_row_taking_an_address_linked_to_someone_else(env: Env) -> None:
    await env.configured()
    await env.ok("PUT", USERS + "/sato", {"m365_address": "sato@contoso.example"})
    status, body = await env.call(
        "POST", USERS + "/import", data=b"suzuki,sato@contoso.example,true\n"
    )
    assert status == 200
    assert body["applied"] == 0
    assert "already linked to 'sato'" in body["rejected"][0]["reason"]


async def test_large_csv_is_read_whole_and_oversized_refused(env: Env) -> None:
    await env.ok("PUT", "/api/v1/tenants/acme", {})
    rows = "".join(f"user{n:05d},user{n:05d}@contoso.example,true\n" for n in range(3000))
    status, body = await env.call("POST", USERS + "/import?dry_run=1", data=rows.encode())
    assert status == 200
    assert len(body["accepted"]) == 3000
    assert body["rejected"] == []
    status, body = await env.call("POST", USERS + "/import", data=b"x" * (5 * 1024 * 1024 + 1))
    assert status == 413
