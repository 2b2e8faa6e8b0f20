"""What the admin subcommands share: connection options and one HTTP call to the admin API.

The CLI is a thin client of the admin HTTP API (stdlib urllib, no event loop), so everything it
can do is also scriptable with curl against the documented API.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

DEFAULT_URL = "http://127.0.0.1:8090"
TOKEN_ENV = "KAKEHASHI_ADMIN_TOKEN"
TIMEOUT = 120.0  # verify and CSV imports look users up remotely; give them time

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def common() -> argparse.ArgumentParser:
    """Options every admin subcommand takes, as a parent parser for sub-subcommands."""
    parent = argparse.ArgumentParser(add_help=False)
    add_common(parent)
    return parent


def add_common(parent: argparse.ArgumentParser) -> None:
    """Add the connection and output options to one parser."""
    parent.add_argument(
        "--url",
        default=os.environ.get("KAKEHASHI_ADMIN_URL", DEFAULT_URL),
        help="admin API base URL (default %(default)s, env KAKEHASHI_ADMIN_URL)",
    )
    parent.add_argument("--token", help=f"admin token (default: env {TOKEN_ENV})")
    parent.add_argument(
        "--tenant",
        default=os.environ.get("KAKEHASHI_TENANT", "default"),
        help="Kakehashi tenant (default %(default)s, env KAKEHASHI_TENANT)",
    )
    parent.add_argument("--json", action="store_true", help="print the raw JSON answer")


def actions(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The ACTION sub-subcommands of an admin subcommand (one is required)."""
    return parser.add_subparsers(dest="action", required=True, metavar="ACTION")


def action(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    run: Callable[[argparse.Namespace], int],
    help: str,
) -> argparse.ArgumentParser:
    """One ACTION: the common options, and `run` (guarded) as what it does."""
    parser = sub.add_parser(name, parents=[common()], help=help)
    parser.set_defaults(run=guarded(run))
    return parser


def call(
    args: argparse.Namespace,
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    query: dict[str, str] | None = None,
) -> Any:
    """One request; the parsed JSON answer, or CliError with the API's message."""
    token = args.token or os.environ.get(TOKEN_ENV, "")
    url = args.url.rstrip("/") + path
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    if not url.startswith(("http://", "https://")):
        raise CliError(f"--url must be an http:// or https:// URL, not {args.url!r}")
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - checked above
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", content_type)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - checked above
            payload = response.read()
    except urllib.error.HTTPError as exc:
        raise CliError(_api_error(exc)) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise CliError(f"cannot reach the admin API at {args.url}: {exc}") from exc
    return json.loads(payload) if payload else None


def _api_error(exc: urllib.error.HTTPError) -> str:
    try:
        error = json.loads(exc.read()).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    message = error.get("message") or exc.reason
    if exc.code == 401:
        message += f" (pass --token or set {TOKEN_ENV})"
    details = "".join(f"\n  {d['field']}: {d['message']}" for d in error.get("details", []))
    return f"HTTP {exc.code}: {message}{details}"


def tenant_path(args: argparse.Namespace, suffix: str = "") -> str:
    return f"/api/v1/tenants/{quote(args.tenant)}{suffix}"


def quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def emit(args: argparse.Namespace, data: Any, render: Callable[[Any], str]) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else render(data))


def guarded(action: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn CliError into a message on stderr and an exit code."""

    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except CliError as exc:
            print(f"kakehashi {args.command}: {exc}", file=sys.stderr)
            return exc.code

    return run


def read_file(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from exc


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    head = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join([head, *lines]).rstrip()
