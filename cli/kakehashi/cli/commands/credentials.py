"""`kakehashi credentials graph|garoon|verify`: set and check Microsoft 365 and Garoon credentials.

`graph --file authOfficeCalendar.json` takes 手配職人's file as it is ({tenant_id, client_id,
client_secret}); flags override its fields. Secrets travel to the admin API only; answers show
"set", never the value.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from kakehashi.cli.commands._admin import (
    EXIT_FAILED,
    EXIT_OK,
    CliError,
    action,
    actions,
    call,
    emit,
    read_file,
    tenant_path,
)
from kakehashi.cli.commands.tenant import render_tenant

NAME = "credentials"
HELP = "set and verify Microsoft 365 (Entra app) and Garoon credentials (admin API)"
_MARK = {"ok": "OK  ", "warning": "WARN", "error": "FAIL"}
GAROON_PASSWORD_ENV = "KAKEHASHI_GAROON_PASSWORD"


def configure(parser: argparse.ArgumentParser) -> None:
    sub = actions(parser)
    graph = action(sub, "graph", _graph, help="Microsoft 365 app credentials")
    graph.add_argument("--file", help="JSON file such as authOfficeCalendar.json")
    graph.add_argument("--tenant-id", help="Entra tenant ID (directory ID)")
    graph.add_argument("--client-id", help="application (client) ID")
    graph.add_argument("--client-secret", help="client secret value (prefer --client-secret-file)")
    graph.add_argument("--client-secret-file", help="file holding the client secret value")
    graph.add_argument("--certificate", help="PEM private key file (instead of a secret)")
    graph.add_argument("--thumbprint", help="certificate thumbprint (SHA-1, hex)")
    graph.add_argument("--secret-expires", help="expiry date of the secret, e.g. 2027-05-31")
    graph.add_argument("--authority-host", help="identity endpoint (simulator or sovereign cloud)")
    graph.add_argument("--graph-url", help="Graph endpoint (simulator or sovereign cloud)")

    garoon = action(sub, "garoon", _garoon, help="Garoon connection")
    garoon.add_argument("--base-url", help="e.g. https://example.cybozu.com/g")
    garoon.add_argument("--login", help="service account login name")
    garoon.add_argument("--password", help=f"password (prefer env {GAROON_PASSWORD_ENV})")
    garoon.add_argument("--password-file", help="file holding the password")
    garoon.add_argument("--basic-user", help="Basic authentication user in front of Garoon")
    garoon.add_argument("--basic-password", help="Basic authentication password")
    garoon.add_argument("--proxy", help="HTTP proxy URL for reaching Garoon")
    garoon.add_argument("--ca-file", help="CA file (on the server) for Garoon's TLS certificate")

    action(
        sub,
        "verify",
        _verify,
        help="get a token, check permissions, mailboxes and the Garoon login (en + ja)",
    )


def _secret_text(path: str) -> str:
    return read_file(path).decode("utf-8-sig").strip()


def graph_body(args: argparse.Namespace) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if args.file:
        try:
            loaded = json.loads(read_file(args.file).decode("utf-8-sig"))
        except ValueError as exc:
            raise CliError(f"{args.file} is not JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise CliError(f"{args.file} must hold a JSON object")
        body.update(loaded)
    flags = {
        "tenant_id": args.tenant_id,
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "certificate_thumbprint": args.thumbprint,
        "secret_expires_at": args.secret_expires,
        "authority_host": args.authority_host,
        "graph_base_url": args.graph_url,
    }
    body.update({k: v for k, v in flags.items() if v is not None})
    if args.client_secret_file:
        body["client_secret"] = _secret_text(args.client_secret_file)
    if args.certificate:
        body["certificate_pem"] = read_file(args.certificate).decode("ascii", errors="replace")
    if not body:
        raise CliError("nothing to set: give --file or flags")
    return body


def _graph(args: argparse.Namespace) -> int:
    emit(args, call(args, "PUT", tenant_path(args, "/graph"), graph_body(args)), render_tenant)
    return EXIT_OK


def _garoon(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {
        k: v
        for k, v in {
            "base_url": args.base_url,
            "login": args.login,
            "password": args.password,
            "basic_user": args.basic_user,
            "basic_password": args.basic_password,
            "proxy_url": args.proxy,
            "ca_file": args.ca_file,
        }.items()
        if v is not None
    }
    if args.password_file:
        body["password"] = _secret_text(args.password_file)
    elif "password" not in body and os.environ.get(GAROON_PASSWORD_ENV):
        body["password"] = os.environ[GAROON_PASSWORD_ENV]
    if not body:
        raise CliError("nothing to set: give --base-url, --login, a password...")
    emit(args, call(args, "PUT", tenant_path(args, "/garoon"), body), render_tenant)
    return EXIT_OK


def _verify(args: argparse.Namespace) -> int:
    data = call(args, "POST", tenant_path(args, "/verify"))
    emit(args, data, render_verify)
    return EXIT_OK if data["ok"] else EXIT_FAILED


def render_verify(data: dict[str, Any]) -> str:
    lines = []
    for check in data["checks"]:
        lines.append(f"[{_MARK.get(check['level'], '?')}] {check['message_en']}")
        lines.append(f"       {check['message_ja']}")
    verdict = (
        "all checks passed / すべて問題ありません"
        if data["ok"]
        else "problems found / 問題があります"
    )
    lines += ["", verdict, data["note_en"], data["note_ja"]]
    return "\n".join(lines)
