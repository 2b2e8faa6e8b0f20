"""`verify`: try the stored credentials for real and say exactly what is wrong, in plain words.

Each step stops the steps that depend on it (no token -> no permission or mailbox checks), so
the admin sees the first real cause rather than a cascade of follow-on failures.
"""

from __future__ import annotations

from datetime import timedelta

from kakehashi.admin import clients
from kakehashi.admin.checks import Check, fail, ok, warn, with_propagation
from kakehashi.contracts.state import Tenant, UserLink
from kakehashi.garoon_client import (
    GaroonError,
    LoginFailed,
    PermissionDenied,
    TransportError,
)
from kakehashi.graph_client import (
    AuthError,
    ConsentMissing,
    DisabledClient,
    ExpiredSecret,
    Forbidden,
    GraphClient,
    GraphError,
    InvalidSecret,
    NotFound,
    UnknownClient,
    UnknownTenant,
    token_roles,
)
from kakehashi.graph_client import TransportError as GraphTransportError
from kakehashi.runtime import ServiceContext

EXPIRY_WARNING = timedelta(days=30)
MAX_MAILBOX_CHECKS = 200

# (permission, required?, what it is for: en, ja). Teams meetings go through the calendar
# (isOnlineMeeting), so OnlineMeetings.ReadWrite.All is only needed for standalone meetings.
PERMISSIONS: tuple[tuple[str, bool, str, str], ...] = (
    ("Calendars.ReadWrite", True, "reading and writing calendars", "予定表の読み書き"),
    ("User.Read.All", True, "finding users by address", "アドレスによるユーザーの検索"),
    ("Place.Read.All", False, "listing meeting rooms", "会議室の一覧取得"),
    (
        "OnlineMeetings.ReadWrite.All",
        False,
        "standalone Teams meetings",
        "カレンダーを介さない Teams 会議",
    ),
)


async def verify_tenant(ctx: ServiceContext, tenant: Tenant) -> list[Check]:
    links = await ctx.store.user_links.list(tenant.id, enabled_only=True)
    return [*await verify_graph(ctx, tenant, links), *await verify_garoon(ctx, tenant)]


# ------------------------------------------------------------------ Microsoft 365


async def verify_graph(ctx: ServiceContext, tenant: Tenant, links: list[UserLink]) -> list[Check]:
    creds = tenant.graph
    if creds is None:
        return [
            fail(
                "graph.credentials",
                "No Microsoft 365 credentials are set (tenant ID, client ID, secret).",
                "Microsoft 365 の認証情報（テナント ID、クライアント ID、シークレット）が"
                "未設定です。",
            )
        ]
    checks = [_expiry_check(ctx, tenant)] if creds.secret_expires_at else []
    async with clients.graph_client(ctx, creds) as (client, provider):
        try:
            token = await provider.get_token()
        except (AuthError, GraphTransportError) as exc:
            return [*checks, _token_failure(exc, creds.tenant_id, creds.client_id)]
        checks.append(
            ok(
                "graph.token",
                "A Microsoft Graph token was obtained.",
                "Microsoft Graph のトークンを取得できました。",
            )
        )
        roles = token_roles(token)
        checks.extend(_permission_checks(roles, tenant))
        if any(not c.ok for c in checks if c.id.startswith(("graph.consent", "graph.perm"))):
            return checks  # every mailbox call would fail for the same reason
        checks.extend(await _mailbox_checks(client, links[:MAX_MAILBOX_CHECKS]))
    return checks


def _expiry_check(ctx: ServiceContext, tenant: Tenant) -> Check:
    assert tenant.graph is not None
    assert tenant.graph.secret_expires_at is not None
    expires = tenant.graph.secret_expires_at
    left = expires - ctx.clock()
    day = expires.date().isoformat()
    if left <= timedelta(0):
        return fail(
            "graph.secret_expiry",
            f"The client secret expired on {day}: create a new one in Entra and set it here.",
            f"クライアントシークレットは {day} に期限切れです。"
            "Entra で新しいシークレットを作成して登録してください。",
        )
    if left <= EXPIRY_WARNING:
        return warn(
            "graph.secret_expiry",
            f"The client secret expires on {day} ({left.days} days left): rotate it soon.",
            f"クライアントシークレットの有効期限は {day} です（残り {left.days} 日）。"
            "早めに更新してください。",
        )
    return ok(
        "graph.secret_expiry",
        f"The client secret is valid until {day}.",
        f"クライアントシークレットの有効期限は {day} です。",
    )


def _token_failure(exc: GraphError, tenant_id: str, client_id: str) -> Check:
    code = f" (AADSTS{exc.aadsts})" if isinstance(exc, AuthError) and exc.aadsts else ""
    if isinstance(exc, UnknownTenant):
        return fail(
            "graph.tenant",
            f"Tenant {tenant_id!r} does not exist in Microsoft Entra: check the tenant ID{code}.",
            f"テナント {tenant_id!r} は Microsoft Entra に存在しません。"
            f"テナント ID を確認してください{code}。",
        )
    if isinstance(exc, UnknownClient):
        return fail(
            "graph.client",
            f"No application with client ID {client_id!r} exists in this tenant{code}.",
            f"クライアント ID {client_id!r} のアプリがこのテナントにありません{code}。",
        )
    if isinstance(exc, ExpiredSecret):
        return fail(
            "graph.secret",
            f"The client secret has expired{code}: create a new one in Entra and set it here.",
            f"クライアントシークレットの有効期限が切れています{code}。"
            "Entra で新しいシークレットを作成して登録してください。",
        )
    if isinstance(exc, InvalidSecret):
        return fail(
            "graph.secret",
            "The client secret (or certificate) is wrong: use the secret's Value, not its "
            f"Secret ID{code}.",
            "クライアントシークレット（または証明書）が正しくありません。"
            "「シークレット ID」ではなく"
            f"「値」を使ってください{code}。",
        )
    if isinstance(exc, ConsentMissing):
        return with_propagation(_consent_missing(code))
    if isinstance(exc, DisabledClient):
        return fail(
            "graph.client",
            f"The application is disabled in this tenant{code}.",
            f"このテナントでアプリが無効化されています{code}。",
        )
    if isinstance(exc, GraphTransportError):
        return fail(
            "graph.reachable",
            f"The Microsoft identity platform could not be reached: {exc.message}",
            f"Microsoft ID プラットフォームに接続できません: {exc.message}",
        )
    return fail(
        "graph.token",
        f"No token was issued{code}: {exc.message}",
        f"トークンを取得できませんでした{code}: {exc.message}",
    )


def _consent_missing(code: str = "") -> Check:
    return fail(
        "graph.consent",
        "Admin consent has not been granted: in Entra, open the app's API permissions and click "
        f"'Grant admin consent'{code}.",
        "管理者の同意がありません。Entra でアプリの「API のアクセス許可」を開き、"
        f"「管理者の同意を与えます」をクリックしてください{code}。",
    )


def _permission_checks(roles: list[str], tenant: Tenant) -> list[Check]:
    if not roles:
        # A token without any application permission: consent was never granted.
        return [with_propagation(_consent_missing())]
    granted = {r.lower() for r in roles}
    out = []
    for name, required, what_en, what_ja in PERMISSIONS:
        check_id = f"graph.permission.{name}"
        if name.lower() in granted:
            out.append(ok(check_id, f"{name} is granted.", f"{name} は許可されています。"))
            continue
        needed = required or (name == "Place.Read.All" and bool(tenant.facility_rooms))
        make = fail if needed else warn
        extra_en = "" if needed else " Optional unless you need it."
        extra_ja = "" if needed else "必要な場合のみ追加してください。"
        out.append(
            with_propagation(
                make(
                    check_id,
                    f"Application permission {name} is missing (needed for {what_en}): add it "
                    f"as an application permission and grant admin consent.{extra_en}",
                    f"アプリケーションの許可 {name}（{what_ja}に必要）がありません。"
                    f"アプリケーションの許可として追加し、管理者の同意を与えてください。{extra_ja}",
                )
            )
        )
    return out


async def _mailbox_checks(client: GraphClient, links: list[UserLink]) -> list[Check]:
    out = []
    for link in links:
        address = link.m365_address
        check_id = f"graph.mailbox.{address}"
        try:
            await client.get_user(address, select=("id", "mail", "userPrincipalName"))
            await client.get_calendar(address)
        except NotFound:
            out.append(
                fail(
                    check_id,
                    f"No Microsoft 365 mailbox was found for {address} (user {link.garoon_login}).",
                    f"{address}（ユーザー {link.garoon_login}）の Microsoft 365 メールボックスが"
                    "見つかりません。",
                )
            )
        except Forbidden as exc:
            out.append(
                fail(
                    check_id,
                    f"Access to the mailbox of {address} is denied ({exc.code}): check the "
                    "application access policy.",
                    f"{address} のメールボックスへのアクセスが拒否されました（{exc.code}）。"
                    "アプリケーションアクセスポリシーを確認してください。",
                )
            )
        except GraphError as exc:
            out.append(
                fail(
                    check_id,
                    f"The mailbox of {address} could not be checked: {exc}",
                    f"{address} のメールボックスを確認できません: {exc}",
                )
            )
        else:
            out.append(
                ok(
                    check_id,
                    f"The mailbox of {address} is reachable.",
                    f"{address} のメールボックスにアクセスできます。",
                )
            )
    return out


# ------------------------------------------------------------------ Garoon


async def verify_garoon(ctx: ServiceContext, tenant: Tenant) -> list[Check]:
    creds = tenant.garoon
    if creds is None:
        return [
            fail(
                "garoon.credentials",
                "No Garoon connection is set (base URL, login, password).",
                "Garoon の接続情報（URL、ログイン名、パスワード）が未設定です。",
            )
        ]
    client = clients.garoon_client(ctx, creds)
    try:
        await client.get_user_by_login(creds.login)
    except TransportError as exc:
        return [
            fail(
                "garoon.reachable",
                f"Garoon at {creds.base_url} could not be reached: {exc.message}",
                f"Garoon（{creds.base_url}）に接続できません: {exc.message}",
            )
        ]
    except LoginFailed as exc:
        if exc.code is None and creds.basic_user:
            return [
                fail(
                    "garoon.basic_auth",
                    "The web server in front of Garoon refused the Basic authentication user "
                    "or password.",
                    "Garoon の前段の Web サーバーが Basic 認証のユーザー名またはパスワードを"
                    "拒否しました。",
                )
            ]
        return [
            fail(
                "garoon.login",
                f"Garoon refused the login {creds.login!r}: check the login name and password"
                " (accounts with two-factor authentication cannot use password login).",
                f"Garoon がログイン名 {creds.login!r} を拒否しました。ログイン名とパスワードを"
                "確認してください（2 要素認証のアカウントはパスワード認証を使えません）。",
            )
        ]
    except PermissionDenied:
        return [_garoon_permission("users", "ユーザー情報")]
    except GaroonError as exc:
        return [
            fail(
                "garoon.reachable",
                f"Garoon answered with an error: {exc}",
                f"Garoon がエラーを返しました: {exc}",
            )
        ]
    checks = [
        ok(
            "garoon.login",
            f"Logged in to Garoon as {creds.login!r}.",
            f"Garoon に {creds.login!r} としてログインできました。",
        )
    ]
    try:
        now = ctx.clock()
        await client.list_events(range_start=now, range_end=now + timedelta(days=1), limit=1)
    except PermissionDenied:
        checks.append(_garoon_permission("schedules", "スケジュール"))
    except GaroonError as exc:
        checks.append(
            fail(
                "garoon.schedule",
                f"Garoon schedules could not be read: {exc}",
                f"Garoon のスケジュールを読み取れません: {exc}",
            )
        )
    else:
        checks.append(
            ok(
                "garoon.schedule",
                "Garoon schedules can be read.",
                "Garoon のスケジュールを読み取れます。",
            )
        )
    return checks


def _garoon_permission(what_en: str, what_ja: str) -> Check:
    return fail(
        "garoon.permission",
        f"The Garoon account lacks permission to read {what_en}: grant it in Garoon's "
        "system administration (access rights).",
        f"Garoon のアカウントに{what_ja}を読む権限がありません。Garoon のシステム管理"
        "（アクセス権）で許可してください。",
    )
