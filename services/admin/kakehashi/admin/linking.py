"""Linking a user: find the Graph user id and the Garoon user id, and record the outcome.

A link is `linked` once both ids are known, `failed` with a reason an admin can act on when
either side says no, and `pending` while the tenant's credentials are not set yet.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from kakehashi.admin import clients
from kakehashi.admin.checks import reason
from kakehashi.bus import Unroutable
from kakehashi.contracts.messages import ResyncRequest, Side
from kakehashi.contracts.state import LinkStatus, Tenant, UserLink
from kakehashi.garoon_client import GaroonClient, GaroonError
from kakehashi.garoon_client import PermissionDenied as GaroonPermissionDenied
from kakehashi.graph_client import AuthError, Forbidden, GraphClient, GraphError, NotFound
from kakehashi.runtime import ServiceContext

log = logging.getLogger(__name__)

NO_GRAPH = reason("waiting for Microsoft 365 credentials", "Microsoft 365 の認証情報の設定待ちです")
NO_GAROON = reason("waiting for the Garoon connection", "Garoon の接続設定待ちです")


@dataclass(frozen=True)
class Found:
    """One side's lookup: the id, or why not (None and "" when the side was not checked)."""

    id: str | None
    problem: str = ""


class Resolver:
    """Looks users up on both sides with one pair of clients; `async with Resolver(...)`."""

    def __init__(self, ctx: ServiceContext, tenant: Tenant) -> None:
        self._ctx = ctx
        self.tenant = tenant
        self._stack = contextlib.AsyncExitStack()
        self._graph: GraphClient | None = None
        self._garoon: GaroonClient | None = None
        # Credentials that fail once fail for every row: remember, do not ask again.
        self._graph_down = ""
        self._garoon_down = ""

    @property
    def can_check(self) -> bool:
        return self.tenant.graph is not None and self.tenant.garoon is not None

    async def __aenter__(self) -> Resolver:
        if self.tenant.graph is not None:
            graph, _ = await self._stack.enter_async_context(
                clients.graph_client(self._ctx, self.tenant.graph)
            )
            self._graph = graph
        if self.tenant.garoon is not None:
            self._garoon = clients.garoon_client(self._ctx, self.tenant.garoon)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stack.aclose()

    async def graph_user(self, address: str) -> Found:
        if self._graph is None:
            return Found(None)
        if self._graph_down:
            return Found(None, self._graph_down)
        try:
            user = await self._find_graph_user(self._graph, address)
        except AuthError as exc:
            self._graph_down = reason(
                f"Microsoft 365 sign-in failed ({exc.message}); run verify",
                f"Microsoft 365 にサインインできません（{exc.message}）。verify を実行してください",
            )
            return Found(None, self._graph_down)
        except Forbidden:
            self._graph_down = reason(
                "permission missing: User.Read.All (run verify)",
                "アクセス許可 User.Read.All がありません（verify を実行してください）",
            )
            return Found(None, self._graph_down)
        except GraphError as exc:
            return Found(
                None,
                reason(f"Microsoft 365 lookup failed: {exc}", f"Microsoft 365 の検索に失敗: {exc}"),
            )
        if user is None:
            return Found(
                None,
                reason(
                    f"address {address} not found in Microsoft 365",
                    f"Microsoft 365 にアドレス {address} が見つかりません",
                ),
            )
        return Found(str(user["id"]))

    async def _find_graph_user(self, client: GraphClient, address: str) -> dict[str, Any] | None:
        select = ("id", "mail", "userPrincipalName")
        try:
            return await client.get_user(address, select=select)
        except NotFound:
            pass
        # /users/{x} knows ids and UPNs only; the address may be the user's mail instead.
        quoted = address.replace("'", "''")
        params = {"$filter": f"mail eq '{quoted}'", "$select": ",".join(select)}
        answer = await client.request("GET", client.url("/users", params), mailbox=address)
        values = answer.body.get("value") if isinstance(answer.body, dict) else None
        return values[0] if isinstance(values, list) and values else None

    async def garoon_user(self, login: str) -> Found:
        if self._garoon is None:
            return Found(None)
        if self._garoon_down:
            return Found(None, self._garoon_down)
        try:
            user = await self._garoon.get_user_by_login(login)
        except GaroonPermissionDenied:
            self._garoon_down = reason(
                "the Garoon account may not read users (permission missing)",
                "Garoon のアカウントにユーザー情報を読む権限がありません",
            )
            return Found(None, self._garoon_down)
        except GaroonError as exc:
            self._garoon_down = reason(
                f"Garoon connection failed ({exc}); run verify",
                f"Garoon に接続できません（{exc}）。verify を実行してください",
            )
            return Found(None, self._garoon_down)
        if user is None:
            return Found(
                None,
                reason(
                    f"Garoon user {login!r} not found",
                    f"Garoon ユーザー {login!r} が見つかりません",
                ),
            )
        return Found(str(user["id"]))


def outcome(link: UserLink, graph: Found, garoon: Found) -> UserLink:
    """The link with ids and status set from both lookups."""
    problems = [p for p in (garoon.problem, graph.problem) if p]
    update: dict[str, Any] = {
        "graph_user_id": graph.id or link.graph_user_id,
        "garoon_user_id": garoon.id or link.garoon_user_id,
    }
    if problems:
        update.update(status=LinkStatus.FAILED, reason="; ".join(problems))
    elif graph.id and garoon.id:
        update.update(status=LinkStatus.LINKED, reason="")
    else:
        waiting = [r for r, found in ((NO_GRAPH, graph), (NO_GAROON, garoon)) if not found.id]
        update.update(status=LinkStatus.PENDING, reason="; ".join(waiting))
    return link.model_copy(update=update)


async def link_one(ctx: ServiceContext, tenant: Tenant, link: UserLink) -> UserLink:
    async with Resolver(ctx, tenant) as resolver:
        graph = await resolver.graph_user(link.m365_address)
        garoon = await resolver.garoon_user(link.garoon_login)
    return outcome(link, graph, garoon)


async def request_resync(ctx: ServiceContext, link: UserLink) -> bool:
    """Ask both connectors to read the newly linked user's window; False if nobody listens.

    Best effort: the connectors' sweeps find a linked user anyway, this only makes it quick.
    """
    sent = True
    for side in (Side.GRAPH, Side.GAROON):
        message = ResyncRequest(
            tenant_id=link.tenant_id, side=side, user_link_id=link.id, reason="user linked"
        )
        try:
            await ctx.bus.publish(message)
        except Unroutable:
            sent = False
        except Exception as exc:  # the link is stored; a sweep picks it up later
            log.warning("resync request not published", extra={"error": str(exc)})
            sent = False
    return sent
