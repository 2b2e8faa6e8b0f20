"""The HTTP layer shared by Garoon REST and SOAP: authentication headers, proxy and TLS, a
concurrency bound, back-off and error mapping.

Retry rules: 429 is always retried (the server refused the call before doing it); 503/502/504
and lost connections only for idempotent calls (reads, PATCH, DELETE, PUT), because the outcome
of a create is unknown and the caller must reconcile rather than risk a duplicate. Garoon
documents no rate limits; the bound and back-off protect customer-run package servers.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from kakehashi.garoon_client.errors import (
    GaroonError,
    ProtocolError,
    TransportError,
    error_from_rest,
)

Sleep = Callable[[float], Awaitable[None]]
_RETRY_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


class GaroonHttp:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        login: str,
        password: str,
        basic_auth: tuple[str, str] | None = None,
        proxy: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        sleep: Sleep = asyncio.sleep,
        max_concurrency: int = 4,
        max_attempts: int = 5,
        max_backoff: float = 30.0,
        request_timeout: float = 60.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")  # e.g. https://sub.cybozu.com/g
        self.api = f"{self.base_url}/api/v1"
        self.login = login
        self._password = password
        self._session = session
        self._auth = base64.b64encode(f"{login}:{password}".encode()).decode()
        self._basic = (
            "Basic " + base64.b64encode(f"{basic_auth[0]}:{basic_auth[1]}".encode()).decode()
            if basic_auth
            else None
        )
        self._proxy = proxy
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self.sleep = sleep
        self._sem = asyncio.Semaphore(max_concurrency)
        self.max_attempts = max(1, max_attempts)
        self._max_backoff = max_backoff
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)

    def _front_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self._basic:
            headers["Authorization"] = self._basic  # the web server's Basic auth, not Garoon's
        return headers

    async def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        data: bytes | None,
        idempotent: bool,
    ) -> Answer:
        """Send with retries; return the final answer (any status) or raise TransportError."""
        attempt = 0
        while True:
            try:
                async with (
                    self._sem,
                    self._session.request(
                        method,
                        URL(url, encoded=True),
                        headers=headers,
                        data=data,
                        proxy=self._proxy,
                        ssl=self._ssl,
                        timeout=self._timeout,
                    ) as resp,
                ):
                    answer: Answer | TransportError = Answer(
                        resp.status, dict(resp.headers), await resp.read()
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                answer = TransportError(f"{method} {url}: {type(exc).__name__}: {exc}")
            status = answer.status if isinstance(answer, Answer) else 0
            retryable = status == 429 or (idempotent and (status in _RETRY_STATUSES or not status))
            attempt += 1
            if not retryable or attempt >= self.max_attempts:
                if isinstance(answer, TransportError):
                    raise answer
                return answer
            hint = (
                _retry_after(answer.headers.get("Retry-After"))
                if isinstance(answer, Answer)
                else None
            )
            if hint is None:
                hint = random.uniform(0, min(self._max_backoff, 2.0 ** (attempt - 1)))
            await self.sleep(hint)

    # ---------------------------------------------------------------- REST

    async def rest(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
    ) -> Any:
        """Call `/api/v1{path}`; return the parsed JSON (None for 204) or raise a GaroonError."""
        url = self.api + path
        if params:
            url += "?" + urlencode(params, quote_via=quote)
        headers = self._front_headers()
        headers["X-Cybozu-Authorization"] = self._auth
        headers["Accept"] = "application/json"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False).encode()
        answer = await self.send(
            method, url, headers=headers, data=data, idempotent=method.upper() != "POST"
        )
        parsed: Any = None
        if answer.body:
            try:
                parsed = json.loads(answer.body)
            except ValueError:
                parsed = None
        if not 200 <= answer.status < 300:
            raise error_from_rest(answer.status, parsed)
        if answer.body and parsed is None:
            raise ProtocolError(f"{method} {path}: answer is not JSON", status=answer.status)
        return parsed


def path_segment(value: str | int) -> str:
    return quote(str(value), safe="")


__all__ = ["Answer", "GaroonError", "GaroonHttp", "path_segment"]
