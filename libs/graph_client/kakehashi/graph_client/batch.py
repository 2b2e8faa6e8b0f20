"""JSON batching (`POST /$batch`): at most 20 requests per call, each throttled on its own.

An inner 429 arrives inside a 200 batch answer with its own Retry-After; those requests are sent
again in a new batch after the longest inner Retry-After (SDK retry handlers do not do this).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from kakehashi.graph_client.errors import ProtocolError, parse_retry_after
from kakehashi.graph_client.throttle import backoff_delay

if TYPE_CHECKING:
    from kakehashi.graph_client.transport import GraphTransport

MAX_BATCH = 20
_BATCH_KEY = "$batch"


def _mailbox_of(url: str) -> str:
    parts = url.lstrip("/").split("/")
    if len(parts) >= 2 and parts[0].lower() == "users":
        return unquote(parts[1].split("?")[0]).lower()
    return _BATCH_KEY


def _inner_retry_after(resp: Mapping[str, Any]) -> float | None:
    headers = resp.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            return parse_retry_after(str(value))
    return None


async def run_batch(transport: GraphTransport, requests: Sequence[Mapping[str, Any]]) -> list[Any]:
    items: list[dict[str, Any]] = []
    for i, req in enumerate(requests):
        item = dict(req)
        item.setdefault("id", str(i + 1))
        item["id"] = str(item["id"])
        if item.get("body") is not None:
            item["headers"] = {"Content-Type": "application/json", **(item.get("headers") or {})}
        items.append(item)
    if len({it["id"] for it in items}) != len(items):
        raise ValueError("batch request ids must be unique")
    results: dict[str, Any] = {}
    for start in range(0, len(items), MAX_BATCH):
        results.update(await _run_chunk(transport, items[start : start + MAX_BATCH]))
    return [results[it["id"]] for it in items]


async def _run_chunk(transport: GraphTransport, chunk: list[dict[str, Any]]) -> dict[str, Any]:
    done: dict[str, Any] = {}
    pending = chunk
    attempt = 0
    while pending:
        counts = Counter(_mailbox_of(str(it.get("url", ""))) for it in pending)
        pending_ids = {it["id"] for it in pending}
        send = []
        for it in pending:
            it = dict(it)
            if "dependsOn" in it:  # prerequisites that already succeeded are not re-sent
                it["dependsOn"] = [d for d in it["dependsOn"] if d in pending_ids]
                if not it["dependsOn"]:
                    del it["dependsOn"]
            send.append(it)
        reads_only = all(str(it.get("method", "GET")).upper() == "GET" for it in pending)
        resp = await transport.request(
            "POST",
            "/$batch",
            mailbox=_BATCH_KEY,
            mailboxes=dict(counts),
            json_body={"requests": send},
            idempotent=reads_only,
        )
        body = resp.body
        if not isinstance(body, dict) or not isinstance(body.get("responses"), list):
            raise ProtocolError("$batch answer without responses")
        by_id = {str(r.get("id")): r for r in body["responses"] if isinstance(r, dict)}
        attempt += 1
        retry: list[dict[str, Any]] = []
        waits: list[float] = []
        for it in pending:
            inner = by_id.get(it["id"])
            if inner is None:
                raise ProtocolError(f"$batch answer lacks id {it['id']}")
            if inner.get("status") == 429 and attempt < transport.max_attempts:
                retry.append(it)
                hint = _inner_retry_after(inner)
                if hint is not None:
                    waits.append(hint)
            else:
                done[it["id"]] = inner
        if retry:
            await transport.sleep(max(waits) if waits else backoff_delay(attempt - 1))
        pending = retry
    return done
