"""One Graph HTTP call with everything around it: token, headers, pacing, retries, error mapping.

Retry rules:
- 429: always retried after Retry-After (Graph rejected the call before doing anything), and the
  whole mailbox pauses for that long, since its other requests would be throttled too.
- 503/502/504 and lost connections: retried only for idempotent calls (GET, PATCH, DELETE, and
  POSTs the caller marks idempotent, e.g. a create carrying transactionId); the outcome of any
  other POST is unknown, so it surfaces as an error for the caller to reconcile.
- 401: the token is dropped and the call repeated once with a freshly acquired one.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
from yarl import URL

from kakehashi.graph_client.auth import TokenProvider
from kakehashi.graph_client.errors import (
    GraphError,
    ProtocolError,
    TransportError,
    error_from_response,
    parse_retry_after,
)
from kakehashi.graph_client.throttle import Clock, MailboxLimiter, Sleep, backoff_delay

# Immutable ids survive folder moves; UTC keeps start/end comparable without zone tables.
# Sent as one comma-separated Prefer header: RFC 7240 allows it, and RFC 9110 makes it equal to
# repeated Prefer headers for a list-valued field, so servers cannot tell the two apart.
PREFERENCES = ('IdType="ImmutableId"', 'outlook.timezone="UTC"')
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: Any  # parsed JSON, or None for an empty answer


def quote_segment(value: str) -> str:
    """One path segment (user id/UPN, event id); '@' and '=' are legal and kept readable."""
    return quote(value, safe="@=")


class GraphTransport:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token_provider: TokenProvider,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        max_concurrency_per_mailbox: int = 4,
        budget_per_mailbox: tuple[int, float] = (10000, 600),
        max_attempts: int = 6,
        max_backoff: float = 60.0,
        request_timeout: float = 60.0,
    ) -> None:
        root = base_url.rstrip("/")
        if root.endswith("/v1.0"):
            root = root[: -len("/v1.0")]
        self.root = root
        self.api = f"{root}/v1.0"
        self._origin = urlsplit(root)[:2]
        self._session = session
        self._tokens = token_provider
        self.sleep = sleep
        self.max_attempts = max(1, max_attempts)
        self._max_backoff = max_backoff
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self.limiter = MailboxLimiter(
            max_concurrency=max_concurrency_per_mailbox,
            budget=budget_per_mailbox,
            sleep=sleep,
            clock=clock,
        )

    # ---------------------------------------------------------------- URLs

    def url(self, path: str, params: Mapping[str, str] | None = None) -> str:
        """Absolute URL for an API path; query values are %-encoded (spaces as %20, not '+')."""
        url = path if path.startswith(("https://", "http://")) else self.api + path
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params, safe="$", quote_via=quote)
        return url

    def _check_origin(self, url: str) -> None:
        # nextLink/deltaLink come from the server; never send our bearer token anywhere else.
        if urlsplit(url)[:2] != self._origin:
            raise ProtocolError(f"refusing to follow a link outside {self.root}: {url}")

    # ---------------------------------------------------------------- the call

    async def request(
        self,
        method: str,
        path: str,
        *,
        mailbox: str,
        mailboxes: Mapping[str, int] | None = None,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        delta: bool = False,
        extra_prefer: tuple[str, ...] = (),
    ) -> Response:
        """Send one logical request (retrying as described above); return the 2xx answer.

        `mailbox` names the limiter bucket; `mailboxes` (mailbox -> request count) replaces it
        for a $batch, which spends budget and concurrency on every mailbox it touches.
        """
        url = self.url(path, params)
        self._check_origin(url)
        if idempotent is None:
            idempotent = method.upper() != "POST"
        client_request_id = str(uuid.uuid4())
        data = json.dumps(json_body).encode() if json_body is not None else None
        key = mailbox.lower()
        counts = {k.lower(): n for k, n in mailboxes.items()} if mailboxes else {key: 1}
        refreshed = False
        attempt = 0
        while True:
            token = await self._tokens.get_token()
            send_headers = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "Prefer": ", ".join(PREFERENCES + extra_prefer),
                "client-request-id": client_request_id,
                "return-client-request-id": "true",
            }
            if data is not None:
                send_headers["Content-Type"] = "application/json"
            send_headers.update(headers or {})
            async with self.limiter.slot(counts):
                result = await self._send(method, url, send_headers, data)
            if isinstance(result, Response) and 200 <= result.status < 300:
                return result
            if isinstance(result, Response) and result.status == 401 and not refreshed:
                refreshed = True
                await self._tokens.invalidate(token)
                continue
            error = self._error(result, client_request_id, delta)
            status = result.status if isinstance(result, Response) else 0
            retryable = status == 429 or (idempotent and (status in _RETRY_STATUSES or status == 0))
            attempt += 1
            if not retryable or attempt >= self.max_attempts:
                raise error
            hint = (
                parse_retry_after(result.headers.get("Retry-After"))
                if isinstance(result, Response)
                else None
            )
            delay = hint if hint is not None else backoff_delay(attempt - 1, cap=self._max_backoff)
            if status == 429:
                for k in counts:  # the next turn waits; so do siblings on that mailbox
                    self.limiter.pause(k, delay)
            else:
                await self.sleep(delay)

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str], data: bytes | None
    ) -> Response | TransportError:
        try:
            async with self._session.request(
                method, URL(url, encoded=True), headers=headers, data=data, timeout=self._timeout
            ) as resp:
                raw = await resp.read()
                status = resp.status
                resp_headers = dict(resp.headers)
                if status == 503:
                    resp.close()  # Graph asks for a new connection after a 503
        except (aiohttp.ClientError, TimeoutError) as exc:
            return TransportError(f"{method} {url}: {type(exc).__name__}: {exc}")
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        return Response(status, resp_headers, body)

    @staticmethod
    def _error(
        result: Response | TransportError, client_request_id: str, delta: bool
    ) -> GraphError:
        if isinstance(result, TransportError):
            result.client_request_id = client_request_id
            return result
        error = error_from_response(
            result.status,
            result.body,
            result.headers,
            client_request_id=client_request_id,
            delta=delta,
        )
        error.client_request_id = client_request_id
        return error
