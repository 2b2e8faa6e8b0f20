"""`kakehashi verify` against the simulators alone (no service runs, so nothing syncs)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Harness, garoon_time, outlook_time, slot

pytestmark = pytest.mark.e2e

KAKEHASHI = str(Path(sys.executable).parent / "kakehashi")


def garoon_event(subject: str, logins: list[str], **extra: Any) -> dict[str, Any]:
    start, end = slot()
    return {
        "eventType": "REGULAR",
        "subject": subject,
        "start": garoon_time(start),
        "end": garoon_time(end),
        "attendees": [{"type": "USER", "code": login} for login in logins],
        **extra,
    }


def outlook_event(subject: str, emails: list[str], **extra: Any) -> dict[str, Any]:
    start, end = slot()
    return {
        "subject": subject,
        "start": outlook_time(start),
        "end": outlook_time(end),
        "attendees": [{"type": "required", "emailAddress": {"address": email}} for email in emails],
        **extra,
    }


def user(report: dict[str, Any], login: str) -> dict[str, Any]:
    return next(u for u in report["users"] if u["user"] == login)


async def test_an_event_on_one_side_only_is_missing_on_the_other(simulators: Harness) -> None:
    created = await simulators.garoon_person("sato", "create", garoon_event("only here", ["sato"]))
    report = await simulators.verify()
    assert not report["clean"]
    missing = user(report, "sato")["missing_in_graph"]
    assert [(m["id"], m["title"]) for m in missing] == [(str(created["id"]), "only here")]
    assert user(report, "suzuki")["clean"]


async def test_the_same_meeting_on_both_sides_is_clean_and_a_changed_field_differs(
    simulators: Harness,
) -> None:
    await simulators.garoon_person(
        "sato",
        "create",
        garoon_event(
            "weekly",
            ["sato", "suzuki"],
            eventMenu="会議",
            notes="agenda",
            facilities=[{"code": "room-a"}],
        ),
    )
    body = outlook_event(
        "weekly",
        ["suzuki@contoso.example"],
        categories=["会議"],
        body={"contentType": "text", "content": "agenda"},
    )
    body["attendees"].append(
        {"type": "resource", "emailAddress": {"address": "room-a@contoso.example"}}
    )
    meeting = await simulators.outlook_create("sato@contoso.example", body)
    report = await simulators.verify()
    # suzuki's copy carries no category (Exchange keeps categories per mailbox): not compared.
    assert report["clean"], report

    await simulators.outlook_update("sato@contoso.example", meeting["id"], {"subject": "weekly!"})
    report = await simulators.verify()
    differing = user(report, "sato")["differing"]
    assert [(d["graph_id"], list(d["fields"])) for d in differing] == [(meeting["id"], ["title"])]


async def test_identical_copies_are_reported_as_duplicates(simulators: Harness) -> None:
    await simulators.garoon_person("tanaka", "create", garoon_event("twice", ["tanaka"]))
    ids = [
        (await simulators.outlook_create("tanaka@contoso.example", outlook_event("twice", [])))[
            "id"
        ]
        for _ in range(2)
    ]
    report = await simulators.verify()
    dups = user(report, "tanaka")["duplicates"]
    assert [(d["side"], sorted(d["ids"])) for d in dups] == [("graph", sorted(ids))]
    assert report["totals"]["duplicates"] == 1


async def test_private_flag_is_compared(simulators: Harness) -> None:
    await simulators.garoon_person(
        "sato", "create", garoon_event("doctor", ["sato"], visibilityType="PRIVATE")
    )
    await simulators.outlook_create("sato@contoso.example", outlook_event("doctor", []))
    differing = user(await simulators.verify(), "sato")["differing"]
    assert [list(d["fields"]) for d in differing] == [["private"]]


async def test_the_command_exits_1_with_a_json_report_and_0_when_clean(
    simulators: Harness, tmp_path: Path
) -> None:
    manifest = str(simulators.sandbox.options.manifest_path)

    async def run(*args: str) -> tuple[int, str]:
        proc = await asyncio.create_subprocess_exec(
            KAKEHASHI, "verify", "--manifest", manifest, *args, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await proc.communicate()
        assert proc.returncode is not None
        return proc.returncode, out.decode()

    code, out = await run()
    assert code == 0
    assert out.rstrip().endswith("0 duplicated")
    await simulators.outlook_create("suzuki@contoso.example", outlook_event("lonely", []))
    code, out = await run("--json")
    assert code == 1
    report = json.loads(out)
    assert [m["title"] for m in user(report, "suzuki")["missing_in_garoon"]] == ["lonely"]
